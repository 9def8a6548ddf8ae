"""An evaluation reaches Arize Phoenix over OTLP: the EVALUATOR span below the
evaluated span, with its ``gen_ai.evaluation.result`` event (Phoenix takes
traces only, so the event travels as a span event)."""

from __future__ import annotations

import uuid

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from _zero_code_support import PhoenixServer
from aiobs_otel.evaluations import record_evaluation, use_providers

pytest_plugins = ("phoenix_fixtures",)  # one Phoenix for the session


def test_an_evaluation_span_and_its_event_reach_phoenix(phoenix: PhoenixServer) -> None:
    project = f"evals-{uuid.uuid4().hex[:8]}"
    exporter = OTLPSpanExporter(endpoint=f"{phoenix.base_url}/v1/traces", timeout=10)
    provider = TracerProvider(resource=Resource({"openinference.project.name": project}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_providers(tracer_provider=provider)
    try:
        with provider.get_tracer("tests.phoenix").start_as_current_span("chat gpt-4o-mini") as chat:
            chat.set_attribute("gen_ai.response.id", "chatcmpl-phoenix-1")
            recorded = record_evaluation(
                name="correctness", score=0.75, label="partially_correct",
                rationale="Right idea, one wrong date.", evaluator_metadata={"method": "rules_v1"},
            )  # fmt: skip
    finally:
        use_providers()
        provider.shutdown()
    assert recorded is not None

    spans = phoenix.wait_for_spans(project, lambda found: len(found) >= 2)
    by_name = {s["name"]: s for s in spans}
    assert set(by_name) == {"chat gpt-4o-mini", "evaluation correctness"}, phoenix.log_tail()
    evaluation, evaluated = by_name["evaluation correctness"], by_name["chat gpt-4o-mini"]
    assert evaluation["span_kind"] == "EVALUATOR"
    assert evaluation["parent_id"] == evaluated["context"]["span_id"] == recorded.evaluated_span_id
    assert evaluation["context"]["trace_id"] == evaluated["context"]["trace_id"]
    [event] = [e for e in evaluation["events"] if e["name"] == "gen_ai.evaluation.result"]
    assert event["attributes"] == {
        "gen_ai.evaluation.name": "correctness",
        "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.score.label": "partially_correct",
        "gen_ai.evaluation.explanation": "Right idea, one wrong date.",
        "gen_ai.response.id": "chatcmpl-phoenix-1",
    }
    assert evaluation["attributes"]["gen_ai.evaluation.score.value"] == 0.75
