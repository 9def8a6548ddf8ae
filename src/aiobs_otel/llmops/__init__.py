"""llmops-observability's public names on aiobs-otel: change the import, keep the code.

Usage::

    # from llmops_observability import TraceManager, track_function, track_llm_call
    from aiobs_otel.llmops import TraceManager, track_function, track_llm_call

    TraceManager.start_trace(name="rag_pipeline", user_id="user_123", session_id="s-456")

    @track_llm_call(model="anthropic.claude-3-sonnet-20240229-v1:0")
    def call_llm(prompt): ...

    TraceManager.finalize_and_send(trace_name="rag_pipeline", trace_input={...},
                                   trace_output={...})

Every name maps onto aiobs-otel's own: ``@observe(kind=...)``,
``aiobs_otel.tracing``, ``aiobs_otel.evaluations``, ``aiobs_otel.cost``,
``aiobs_otel.http``; ``configure`` (and the ``LANGFUSE_*`` variables) is
``aiobs_otel.langfuse``.
"""

from ..cost import calculate_cost
from ..evaluations import record_evaluation
from ..http import (
    LLMOpsASGIMiddleware,
    disable_outbound_http_instrumentation,
    enable_httpx_instrumentation,
    enable_outbound_http_instrumentation,
    enable_requests_instrumentation,
    enable_urllib_instrumentation,
    get_injected_headers,
    outbound_instrumentation_status,
    resume_external_service,
    track_external_service,
)
from ..langfuse import configure
from ..tracing import (
    crawl_session,
    end_crawl_session,
    end_transaction,
    get_open_transaction_ids,
    record_crawl_event,
    record_crawl_page,
    start_crawl_session,
    start_transaction,
    track_transaction,
    transaction,
)
from . import pricing
from ._decorators import track_function, track_llm_agent, track_llm_call, track_llm_tool
from ._trace_manager import TraceManager

TRANSACTION_SPAN_TYPE = "transaction"
EVALUATION_SPAN_TYPE = "evaluation"
CRAWL_SESSION_SPAN_TYPE = "crawl_session"
CRAWL_PAGE_SPAN_TYPE = "crawl_page"
CRAWL_EVENT_SPAN_TYPE = "crawl_event"

__all__ = [
    "CRAWL_EVENT_SPAN_TYPE",
    "CRAWL_PAGE_SPAN_TYPE",
    "CRAWL_SESSION_SPAN_TYPE",
    "EVALUATION_SPAN_TYPE",
    "TRANSACTION_SPAN_TYPE",
    "LLMOpsASGIMiddleware",
    "TraceManager",
    "calculate_cost",
    "configure",
    "crawl_session",
    "disable_outbound_http_instrumentation",
    "enable_httpx_instrumentation",
    "enable_outbound_http_instrumentation",
    "enable_requests_instrumentation",
    "enable_urllib_instrumentation",
    "end_crawl_session",
    "end_transaction",
    "get_injected_headers",
    "get_open_transaction_ids",
    "outbound_instrumentation_status",
    "pricing",
    "record_crawl_event",
    "record_crawl_page",
    "record_evaluation",
    "resume_external_service",
    "start_crawl_session",
    "start_transaction",
    "track_external_service",
    "track_function",
    "track_llm_agent",
    "track_llm_call",
    "track_llm_tool",
    "track_transaction",
    "transaction",
]
