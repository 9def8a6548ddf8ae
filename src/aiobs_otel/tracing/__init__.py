"""Trace contexts, transactions and crawl sessions: spans of ours around your code.

Usage::

    from aiobs_otel.tracing import trace, transaction, crawl_session, record_crawl_page

    with trace("rag_pipeline", user_id="user_123", session_id="session_456",
               tags=["rag"], metadata={"version": "1.0"}, trace_input={"q": q}) as t:
        answer = pipeline(q)        # every span inside carries user / session / tags
        t.set_output({"answer": answer})

    with transaction("logger_lambda", input_data={"records": 3}) as tx:
        ...

    with crawl_session(provider="scrapy", query="climate data"):
        record_crawl_page("https://docs.example.com/guide?token=x", status_code=200,
                          latency_ms=120)

Each becomes an event of the JSON export (a function event with its ``kind``)
and a span for OTLP backends.
"""

from ._crawl import (
    CrawlSession,
    crawl_session,
    current_crawl_session,
    end_crawl_session,
    record_crawl_event,
    record_crawl_page,
    start_crawl_session,
)
from ._trace import (
    ENVIRONMENT_VARIABLES,
    PROJECT_VARIABLES,
    TraceHandle,
    current_trace,
    end_trace,
    injected_metadata,
    start_trace,
    trace,
)
from ._transactions import (
    MAX_OPEN,
    Transaction,
    end_transaction,
    get_open_transaction_ids,
    start_transaction,
    track_transaction,
    transaction,
)

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "MAX_OPEN",
    "PROJECT_VARIABLES",
    "CrawlSession",
    "TraceHandle",
    "Transaction",
    "crawl_session",
    "current_crawl_session",
    "current_trace",
    "end_crawl_session",
    "end_trace",
    "end_transaction",
    "get_open_transaction_ids",
    "injected_metadata",
    "record_crawl_event",
    "record_crawl_page",
    "start_crawl_session",
    "start_trace",
    "start_transaction",
    "trace",
    "track_transaction",
    "transaction",
]
