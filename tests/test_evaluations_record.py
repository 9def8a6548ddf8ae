"""``record_evaluation``: llmops's validation, the evaluation span below the
evaluated span, and the GenAI ``gen_ai.evaluation.result`` event."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from _evaluation_support import remember_spans
from aiobs_otel import observe
from aiobs_otel.evaluations import (
    RecentSpans,
    evaluations_by_span,
    record_evaluation,
    use_providers,
)

tracer = trace.get_tracer("tests.evaluations")


@pytest.fixture(autouse=True)
def remembered(tracer_provider: TracerProvider) -> None:
    remember_spans(tracer_provider)


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {s.name: s for s in exporter.get_finished_spans()}


def only_event(span: ReadableSpan) -> dict[str, Any]:
    [event] = span.events
    assert event.name == "gen_ai.evaluation.result"
    return dict(event.attributes or {})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"score": "high"}, "score must be a number, got str"),
        ({"score": True}, "score must be a number, got bool"),
        ({"score": math.nan}, "score must be a finite number"),
        ({"score": math.inf}, "score must be a finite number"),
        ({"label": ""}, "label must not be empty"),
        ({"label": "   "}, "label must not be empty"),
        ({"label": 3}, "label must be a string, got int"),
        ({"label": "x" * 257}, "label is 257 characters, at most 256"),
        ({"rationale": ""}, "rationale must not be empty"),
        ({"rationale": ["because"]}, "rationale must be a string, got list"),
        ({"score": 1, "evaluator_metadata": ["rules"]}, "evaluator_metadata must be a dict"),
        ({"score": 1, "evaluator_metadata": {1: "a"}}, "keys must be strings"),
        ({"score": 1, "evaluator_metadata": {"at": object()}}, r"\['at'\] must hold JSON"),
        ({"score": 1, "evaluator_metadata": {"x": [math.nan]}}, "must be a finite number"),
        ({}, "give at least one of score, label or rationale"),
        ({"name": "", "score": 1}, "name must be a non-empty string"),
        ({"name": None, "score": 1}, "name must be a non-empty string"),
        ({"score": 1, "evaluated_span_id": ""}, "evaluated_span_id must be a non-empty string"),
        ({"score": 1, "evaluated_span_id": 42}, "evaluated_span_id must be a non-empty string"),
    ],
)
def test_each_bad_argument_is_a_clear_value_error(
    kwargs: dict[str, Any], message: str, spans: InMemorySpanExporter
) -> None:
    for inside_a_span in (False, True):  # checked whether or not a trace is active
        if inside_a_span:
            with tracer.start_as_current_span("call"), pytest.raises(ValueError, match=message):
                record_evaluation(**kwargs)
        else:
            with pytest.raises(ValueError, match=message):
                record_evaluation(**kwargs)
    assert not [s for s in spans.get_finished_spans() if s.name.startswith("evaluation")]


def test_no_active_trace_returns_none(spans: InMemorySpanExporter) -> None:
    assert record_evaluation(name="x", score=1.0) is None
    assert record_evaluation(name="x", score=1.0, evaluated_span_id="http_span_1") is None
    assert spans.get_finished_spans() == ()


def test_the_llmops_downstream_example(spans: InMemorySpanExporter) -> None:
    """README section 5, "evaluate inside the client span", with @observe."""

    @observe()
    def call_status_service() -> dict[str, Any]:
        healthy = True
        recorded = record_evaluation(
            name="status_service_eval",
            score=1.0 if healthy else 0.0,
            label="healthy" if healthy else "unhealthy",
            rationale="HTTP and payload checks passed.",
            evaluator_metadata={"method": "rules_v1"},
        )
        assert recorded is not None
        return {"ok": healthy, "recorded": recorded}

    result = call_status_service()
    found = by_name(spans)
    function, evaluation = found["call_status_service"], found["evaluation status_service_eval"]
    assert evaluation.parent is not None and evaluation.parent.span_id == function.context.span_id
    assert evaluation.context.trace_id == function.context.trace_id
    attributes = dict(evaluation.attributes or {})
    function_id = f"{function.context.span_id:016x}"
    assert attributes["aiobs.span.kind"] == "evaluation"
    assert attributes["openinference.span.kind"] == "EVALUATOR"
    assert attributes["aiobs.evaluation.evaluated_span_id"] == function_id
    assert attributes["aiobs.evaluation.source"] == "manual"
    assert attributes["aiobs.evaluation.evaluator_metadata"] == '{"method": "rules_v1"}'
    assert only_event(evaluation) == {
        "gen_ai.evaluation.name": "status_service_eval",
        "gen_ai.evaluation.score.value": 1.0,
        "gen_ai.evaluation.score.label": "healthy",
        "gen_ai.evaluation.explanation": "HTTP and payload checks passed.",
    }
    assert evaluation.status.status_code is not StatusCode.ERROR
    recorded = result["recorded"]
    assert (recorded.name, recorded.score, recorded.label) == ("status_service_eval", 1.0,
                                                               "healthy")  # fmt: skip
    assert recorded.span_id == f"{evaluation.context.span_id:016x}"
    assert recorded.evaluated_span_id == function_id
    assert recorded.trace_id == f"{function.context.trace_id:032x}"
    assert recorded.evaluator_metadata == {"method": "rules_v1"} and recorded.error is None


def test_the_llmops_async_example_with_a_free_form_span_id(spans: InMemorySpanExporter) -> None:
    """README section 5's async example: no name, evaluated_span_id="http_span_1"."""

    async def evaluate_http_response(resp: dict[str, Any]) -> None:
        record_evaluation(
            score=1.0 if resp.get("status_code") == 200 else 0.0,
            label="pass" if resp.get("status_code") == 200 else "fail",
            rationale=f"HTTP status was {resp.get('status_code')}",
            evaluated_span_id=resp.get("span_id"),
            evaluator_metadata={"type": "rules", "name": "http_health_check"},
        )

    with tracer.start_as_current_span("async_eval") as root:
        asyncio.run(evaluate_http_response({"status_code": 200, "span_id": "http_span_1"}))
    evaluation = by_name(spans)["evaluation evaluation"]
    assert (
        evaluation.parent is not None
        and evaluation.parent.span_id == root.get_span_context().span_id
    )
    attributes = dict(evaluation.attributes or {})
    assert attributes["aiobs.evaluation.evaluated_span_id"] == "http_span_1"  # kept as given
    assert only_event(evaluation)["gen_ai.evaluation.score.label"] == "pass"


def test_an_ended_span_is_found_by_id_with_its_response_id(spans: InMemorySpanExporter) -> None:
    with (
        tracer.start_as_current_span("generation") as generation,
        tracer.start_as_current_span("chat gpt-4o-mini") as chat,
    ):
        chat.set_attribute("gen_ai.response.id", "chatcmpl-42")
    target = f"{generation.get_span_context().span_id:016x}"
    # later, outside any span (an offline check), naming the span by id
    recorded = record_evaluation(name="offline", score=0.5, evaluated_span_id=target.upper())
    assert recorded is not None and recorded.response_id == "chatcmpl-42"
    evaluation = by_name(spans)["evaluation offline"]
    assert (
        evaluation.parent is not None
        and evaluation.parent.span_id == generation.get_span_context().span_id
    )
    assert evaluation.context.trace_id == generation.get_span_context().trace_id
    event = only_event(evaluation)
    assert event["gen_ai.response.id"] == "chatcmpl-42"
    assert dict(evaluation.attributes or {})["gen_ai.response.id"] == "chatcmpl-42"


def test_the_open_current_span_lends_its_response_id(spans: InMemorySpanExporter) -> None:
    with tracer.start_as_current_span("chat") as chat:
        chat.set_attribute("gen_ai.response.id", "resp-7")
        recorded = record_evaluation(name="inline", label="ok")
    assert recorded is not None and recorded.response_id == "resp-7"


def test_recent_spans_memory_is_bounded() -> None:
    memory = RecentSpans(capacity=3)
    provider = TracerProvider()
    provider.add_span_processor(memory)
    local = provider.get_tracer("bounded")
    ids = []
    for index in range(5):
        with local.start_as_current_span(f"s{index}") as span:
            span.set_attribute("gen_ai.response.id", f"r{index}")
            ids.append(span.get_span_context().span_id)
    assert [memory.find(i) is not None for i in ids] == [False, False, True, True, True]
    assert memory.response_id(ids[0]) is None and memory.response_id(ids[4]) == "r4"


def test_long_rationale_is_cut_safely(spans: InMemorySpanExporter) -> None:
    with tracer.start_as_current_span("call"):
        recorded = record_evaluation(name="long", rationale="why " * 5000)
    assert recorded is not None and recorded.rationale is not None
    assert len(recorded.rationale) < 8300 and recorded.rationale.endswith("chars]")


@pytest.fixture
def log_exporter() -> Iterator[InMemoryLogRecordExporter]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    use_providers(logger_provider=provider)
    yield exporter
    use_providers()


def test_the_event_also_goes_through_the_logs_api(
    log_exporter: InMemoryLogRecordExporter, spans: InMemorySpanExporter
) -> None:
    with tracer.start_as_current_span("chat") as chat:
        record_evaluation(name="tone", score=0.9, label="polite")
    [data] = log_exporter.get_finished_logs()
    record = data.log_record
    assert record.event_name == "gen_ai.evaluation.result"
    # the conventions: parented to the evaluated operation's span
    assert record.span_id == chat.get_span_context().span_id
    assert record.trace_id == chat.get_span_context().trace_id
    assert dict(record.attributes or {}) == {
        "gen_ai.evaluation.name": "tone",
        "gen_ai.evaluation.score.value": 0.9,
        "gen_ai.evaluation.score.label": "polite",
    }


def test_export_groups_evaluations_under_the_evaluated_span(spans: InMemorySpanExporter) -> None:
    with tracer.start_as_current_span("answer") as answer:
        record_evaluation(name="first", score=1.0)
        record_evaluation(name="second", label="ok", evaluator_metadata={"k": [1, 2]})
    record_evaluation(name="offline", score=0.0,
                      evaluated_span_id=f"{answer.get_span_context().span_id:016x}")  # fmt: skip
    exported = [
        {
            "span_id": f"{s.context.span_id:016x}",
            "parent_span_id": f"{s.parent.span_id:016x}" if s.parent else None,
            "attributes": dict(s.attributes or {}),
            "started_at": (s.start_time or 0) / 1e9,
        }
        for s in spans.get_finished_spans()
    ]
    grouped = evaluations_by_span(exported)
    answer_id = f"{answer.get_span_context().span_id:016x}"
    assert list(grouped) == [answer_id]
    entries = grouped[answer_id]
    assert [e["name"] for e in entries] == ["first", "second", "offline"]
    assert entries[1] == {
        "name": "second", "score": None, "label": "ok", "rationale": None, "source": "manual",
        "evaluator_metadata": {"k": [1, 2]}, "response_id": None, "error": None,
        "span_id": entries[1]["span_id"], "evaluated_span_id": answer_id,
    }  # fmt: skip
