"""llmops-observability's names on aiobs-otel: its README's examples with only
the import changed (sections 2, 5, 6 and 7, the quick start), checked against
what that README says they record."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer
from aiobs_otel.evaluations import configure_judge, drain

FlushJson = Callable[..., dict[str, Any]]


@pytest.fixture
def loopback() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def by_kind(spans: InMemorySpanExporter, kind: str) -> list[Any]:
    return [s for s in spans.get_finished_spans() if s.attributes.get("aiobs.span.kind") == kind]


def only_export(directory: Path) -> dict[str, Any]:
    [path] = list(directory.glob("*.json"))
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def test_quick_start_writes_one_export_per_trace(
    observer: Observer, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    from aiobs_otel.llmops import TraceManager, track_function, track_llm_call

    trace_id = TraceManager.start_trace(
        name="rag_pipeline_example",
        user_id="user_123",
        session_id="session_456",
        metadata={"version": "1.0.0"},
        tags=["example", "rag"],
    )

    @track_function()
    def process_input(user_query: str) -> dict[str, Any]:
        return {"query": user_query, "processed": True}

    @track_llm_call(model="anthropic.claude-3-sonnet-20240229-v1:0")
    def call_llm(prompt: str) -> dict[str, Any]:
        return {"output": {"message": {"content": [{"text": "Python is a language."}]}},
                "usage": {"inputTokens": 145, "outputTokens": 87, "totalTokens": 232}}  # fmt: skip

    result = process_input("What is Python?")
    answer = call_llm("Context: ...\n\nQuestion: What is Python?")
    assert (
        TraceManager.finalize_and_send(
            trace_name="rag_pipeline_example",
            trace_input={"user_msg": "What is Python?"},
            trace_output={"bot_response": answer},
        )
        is True
    )
    assert TraceManager.finalize_and_send() is False  # ended already
    assert TraceManager.end_trace() is False
    assert result == {"query": "What is Python?", "processed": True}
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)

    document = only_export(tmp_path)  # the layer's own session was flushed
    events = {e["name"]: e for e in document["function_events"]}
    assert set(events) == {"rag_pipeline_example", "process_input", "call_llm"}
    # the README's span fields, in our names
    assert events["call_llm"]["kind"] == "generation"  # span_type "generation"
    assert events["call_llm"]["usage"] == {"input_tokens": 145, "output_tokens": 87,
                                           "total_tokens": 232}  # fmt: skip
    assert events["call_llm"]["prompt"] == "Context: ...\n\nQuestion: What is Python?"
    assert events["call_llm"]["response"] == "Python is a language."
    assert events["call_llm"]["model"] == "anthropic.claude-3-sonnet-20240229-v1:0"
    assert events["call_llm"]["cost"]["total"] > 0
    assert events["process_input"]["kind"] == "function"  # span_type "span"
    trace_event = events["rag_pipeline_example"]
    assert trace_event["input"] == {"user_msg": "What is Python?"}
    assert trace_event["result"] == {"bot_response": answer}
    assert (trace_event["user_id"], trace_event["conversation_id"], trace_event["tags"]) == (
        "user_123", "session_456", ["example", "rag"],
    )  # fmt: skip
    assert trace_event["trace_id"] == trace_id
    for span in spans.get_finished_spans():
        assert span.attributes["user.id"] == "user_123"
        assert span.attributes["gen_ai.conversation.id"] == "session_456"
    assert observer.session_id is None


def test_auto_injection_of_environment_and_project(
    observer: Observer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from aiobs_otel.llmops import TraceManager, track_function

    # README section 2, as written
    monkeypatch.setitem(os.environ, "LLMOPS_PROJECT_ID", "new_test")
    monkeypatch.setitem(os.environ, "ENV", "uat")
    TraceManager.start_trace("my_operation")

    @track_function(metadata={"service": "auth"})
    def authenticate_user(username: str) -> bool:
        return True

    authenticate_user("bob")
    TraceManager.end_trace()
    [span] = [s for s in spans.get_finished_spans() if s.name == "authenticate_user"]
    # span.metadata = {"environment": "uat", "project_id": "new_test", ...other metadata...}
    assert json.loads(span.attributes["metadata"]) == {
        "environment": "uat", "project_id": "new_test", "service": "auth",
    }  # fmt: skip
    # the layer's session carries them as labels too (cost by label, aiobs filters)
    [root] = [s for s in spans.get_finished_spans() if s.name == "my_operation"]
    assert root.attributes["aiobs.label.environment"] == "uat"
    assert root.attributes["aiobs.label.project_id"] == "new_test"


def test_section_6_crawl_example(
    observer: Observer, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    from aiobs_otel.llmops import (
        TraceManager,
        crawl_session,
        record_crawl_event,
        record_crawl_page,
    )

    TraceManager.start_trace(name="research_agent")

    with crawl_session(provider="scrapy", query="climate data", metadata={"run": "1"}):
        record_crawl_event(
            event_type="search_request",
            query={"q": "climate data", "api_key": "secret"},
            status="ok",
            duration_ms=15,
        )
        record_crawl_page(
            url="https://docs.example.com/guide?token=secret",
            query={"q": "climate data", "token": "secret"},
            status_code=200,
            latency_ms=120,
        )
        record_crawl_page(
            url="https://docs.example.com/missing",
            status_code=404,
            error="not found",
            latency_ms=40,
        )
        record_crawl_event(
            event_type="result_parse",
            status="failed",
            failure_reason="invalid html fragment",
            duration_ms=12,
        )

    TraceManager.finalize_and_send(trace_name="research_agent", trace_input={}, trace_output={})

    [session] = by_kind(spans, "crawl")
    # crawl_session: aggregate summary (crawl.pages_ok, crawl.pages_fail, crawl.events_total,
    # crawl.events_fail, duration); partial failures: the session is still emitted
    assert {k: session.attributes[f"aiobs.crawl.{k}"] for k in
            ("pages_ok", "pages_fail", "events_total", "events_fail")} == {
        "pages_ok": 1, "pages_fail": 1, "events_total": 2, "events_fail": 1}  # fmt: skip
    assert session.status.status_code.name == "UNSET"
    pages = by_kind(spans, "crawl_page")
    events = by_kind(spans, "crawl_event")
    assert len(pages) == 2 and len(events) == 2
    for child in pages + events:
        assert child.parent.span_id == session.context.span_id
    urls = sorted(p.attributes["url.full"] for p in pages)
    assert urls == ["https://docs.example.com/guide?token=[REDACTED]",
                    "https://docs.example.com/missing"]  # fmt: skip
    ok_page = next(p for p in pages if p.attributes["http.response.status_code"] == 200)
    assert ok_page.end_time - ok_page.start_time == 120_000_000  # latency_ms
    assert "secret" not in json.dumps([dict(s.attributes) for s in spans.get_finished_spans()])
    document = only_export(tmp_path)
    kinds = sorted(e["kind"] for e in document["function_events"])
    assert kinds == ["crawl", "crawl_event", "crawl_event", "crawl_page", "crawl_page", "trace"]
    assert "secret" not in json.dumps(document)


def test_section_7_transactions(
    observer: Observer, spans: InMemorySpanExporter, loopback: str, tmp_path: Path
) -> None:
    from aiobs_otel.llmops import (
        TraceManager,
        end_transaction,
        get_open_transaction_ids,
        start_transaction,
        track_transaction,
        transaction,
    )

    TraceManager.start_trace(name="transaction_flow")
    txid = start_transaction(
        name="logger_lambda_transaction",
        metadata={"component": "transaction_logger"},
        input_data={"record_count": 3},
    )
    assert get_open_transaction_ids() == [txid]

    if txid:
        try:
            # (the README's https://api.example.com, on loopback here)
            urllib.request.urlopen(f"{loopback}/lambda/log?token=secret", timeout=5)
            end_transaction(txid, status="success", output_data={"lambda_status": "accepted"})
        except Exception as exc:
            end_transaction(txid, status="error", error=str(exc))
            raise

    assert end_transaction(txid) is False  # double-end guard
    assert end_transaction("never-started") is False
    assert get_open_transaction_ids() == []

    with transaction(name="tx_with_context", metadata={"source": "orders"}):
        pass

    @track_transaction(name="tx_decorated")
    def run_business_step() -> str:
        return "ok"

    assert run_business_step() == "ok"
    with pytest.raises(RuntimeError, match="step failed"), transaction(name="tx_failing"):
        raise RuntimeError("step failed")
    TraceManager.finalize_and_send(trace_name="transaction_flow", trace_input={}, trace_output={})

    assert re.fullmatch(r"[0-9a-f]{32}", txid)  # uuid4().hex
    found = {s.name: s for s in by_kind(spans, "transaction")}
    assert set(found) == {"logger_lambda_transaction", "tx_with_context", "tx_decorated",
                          "tx_failing"}  # fmt: skip
    logged = found["logger_lambda_transaction"]
    assert logged.attributes["aiobs.transaction.id"] == txid
    assert logged.attributes["aiobs.transaction.status"] == "success"
    assert json.loads(logged.attributes["output.value"]) == {"lambda_status": "accepted"}
    assert found["tx_failing"].status.status_code.name == "ERROR"
    events = {e["name"]: e for e in only_export(tmp_path)["function_events"]}
    assert events["logger_lambda_transaction"]["transaction_id"] == txid
    assert events["logger_lambda_transaction"]["input"] == {"record_count": 3}
    assert events["tx_decorated"]["result"] == "ok"
    assert events["tx_failing"]["error"] == "RuntimeError: step failed"


def test_section_5_evaluations_through_the_decorator(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    from aiobs_otel.llmops import TraceManager, record_evaluation, track_function, track_llm_call

    asked: list[Any] = []

    def judge(request: Any) -> str:
        asked.append(request)
        return '{"score": 1.0, "label": "correct", "rationale": "Paris it is."}'

    configure_judge(client=judge, seed=1)
    try:
        TraceManager.start_trace(name="chat_with_eval")

        @track_llm_call(evals=["correctness"])
        def call_model(prompt: str) -> dict[str, Any]:
            return {
                "output": {"message": {"content": [{"text": "Paris is the capital of France."}]}}
            }

        @track_llm_call(evaluation=True, sample_rate=0.0)
        def never_sampled(prompt: str) -> str:
            return "x"

        @track_function()
        def call_status_service() -> dict[str, bool]:
            record_evaluation(name="status_service_eval", score=1.0, label="healthy",
                              rationale="HTTP and payload checks passed.",
                              evaluator_metadata={"method": "rules_v1"})  # fmt: skip
            return {"ok": True}

        assert call_model("What is the capital of France?")["output"]
        never_sampled("q")
        call_status_service()
        assert drain(10).finished
        TraceManager.end_trace()
    finally:
        configure_judge(None)
    assert [r.input_text for r in asked] == ["What is the capital of France?"]
    evaluations = {s.name: s for s in by_kind(spans, "evaluation")}
    assert set(evaluations) == {"evaluation correctness", "evaluation status_service_eval"}
    generation = next(s for s in by_kind(spans, "generation") if s.name == "call_model")
    assert evaluations["evaluation correctness"].parent.span_id == generation.context.span_id
    assert evaluations["evaluation correctness"].attributes["gen_ai.evaluation.score.value"] == 1.0


def test_pricing_names() -> None:
    from aiobs_otel.llmops import calculate_cost
    from aiobs_otel.llmops.pricing import calculate_cost as from_module

    cost = from_module(model_id="anthropic.claude-3-sonnet-20240229-v1:0",
                       input_tokens=1500, output_tokens=800)  # fmt: skip
    assert f"Cost: ${cost:.4f}" == "Cost: $0.0165"  # the README's $0.0075 is an old price
    assert calculate_cost is from_module
