"""The sampled LLM judge: real openai / google-genai clients against the
stand-in, seeded sampling, failures, and a full queue that never blocks."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from google import genai
from google.genai import types
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, StatusCode

from _evaluation_support import (
    children_of,
    evaluation_spans,
    event_of,
    instrumented,
    remember_spans,
)
from aiobs_otel import Observer
from aiobs_otel.demo import StandIn
from aiobs_otel.evaluations import (
    Criterion,
    JudgeRequest,
    JudgeStats,
    configure_judge,
    drain,
    is_judging,
    judge_stats,
    schedule_evaluations,
    validate_eval_options,
)

tracer = trace.get_tracer("tests.judge")
QUESTION = {"prompt": "What is an API?", "api_key": "sk-never-sent-to-the-judge"}
ANSWER = "An API is a contract that lets one program use another's capabilities."


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def _judge_state(tracer_provider: TracerProvider) -> Iterator[None]:
    remember_spans(tracer_provider)
    yield
    drain(5.0, cancel_pending=True)
    configure_judge(None)


@pytest.fixture
def traced(observer: Observer) -> Iterator[None]:
    """Provider instrumentors on, so the judge's own calls are traced."""
    observer.observe(session_name="judge-test")
    with instrumented("aiobs_openai_chat", "aiobs_genai_content"):
        yield
    observer.end()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown: lets any judge call still hanging in a test finish."""
    event = threading.Event()
    yield event
    event.set()


def generation_span() -> SpanContext:
    with tracer.start_as_current_span("generation") as span:
        return span.get_span_context()


def schedule(options: Any, count: int = 1) -> list[SpanContext]:
    contexts = []
    for _ in range(count):
        context = generation_span()
        schedule_evaluations(options, span_context=context, inputs=QUESTION, output=ANSWER)
        contexts.append(context)
    return contexts


def delta(before: JudgeStats, after: JudgeStats) -> dict[str, int]:
    a, b = dataclasses.asdict(after), dataclasses.asdict(before)
    return {k: a[k] - b[k] for k in a if k != "pending" and a[k] != b[k]}


def evaluations_under(context: SpanContext, spans: InMemorySpanExporter) -> list[ReadableSpan]:
    found = evaluation_spans(spans.get_finished_spans())
    return [s for s in found if s.parent is not None and s.parent.span_id == context.span_id]


def test_openai_judge_records_each_criterion_under_the_generation(
    standin: StandIn, traced: None, spans: InMemorySpanExporter
) -> None:
    client = openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)
    configure_judge(client=client, model="gpt-4o-mini", seed=1)
    options = validate_eval_options(
        evals=["correctness", "relevance"], evaluation_metadata={"policy_version": "v1"}
    )
    standin.clear_requests()
    before = judge_stats()
    [context] = schedule(options)
    assert drain(10).finished
    assert delta(before, judge_stats()) == {"calls": 1, "queued": 1, "evaluations_ok": 2}

    finished = spans.get_finished_spans()
    evaluations = {s.name: s for s in evaluations_under(context, spans)}
    assert set(evaluations) == {"evaluation correctness", "evaluation relevance"}
    correctness = evaluations["evaluation correctness"]
    assert event_of(correctness) == {
        "gen_ai.evaluation.name": "correctness",
        "gen_ai.evaluation.score.value": 1.0,
        "gen_ai.evaluation.score.label": "correct",
        "gen_ai.evaluation.explanation": (
            "The stand-in judge approves every answer, so that runs are repeatable."
        ),
    }
    attributes = dict(correctness.attributes or {})
    assert attributes["aiobs.evaluation.source"] == "llm_judge"
    assert json.loads(attributes["aiobs.evaluation.evaluator_metadata"]) == {
        "policy_version": "v1", "criterion": "correctness", "judge": "openai",
        "judge_model": "gpt-4o-mini",
    }  # fmt: skip
    assert event_of(evaluations["evaluation relevance"])["gen_ai.evaluation.score.label"] == (
        "relevant"
    )
    # The judge's own call is traced, below the evaluation span, and not evaluated.
    for evaluation in evaluations.values():
        [judge_call] = children_of(evaluation, finished)
        assert judge_call.name == "chat gpt-4o-mini"
        assert not children_of(judge_call, finished)
    # What the judge model was sent: the input (its secret redacted) and the output.
    bodies = [r.body for r in standin.requests if r.path.endswith("/chat/completions")]
    assert len(bodies) == 2
    assert bodies[0]["response_format"] == {"type": "json_object"}
    prompt = bodies[0]["messages"][1]["content"]
    assert "What is an API?" in prompt and ANSWER in prompt
    assert "sk-never-sent-to-the-judge" not in json.dumps(bodies)


def test_gemini_judge_and_a_user_defined_criterion(
    standin: StandIn, traced: None, spans: InMemorySpanExporter
) -> None:
    client = genai.Client(
        api_key="test", http_options=types.HttpOptions(base_url=standin.gemini_base_url)
    )
    configure_judge(client=client, model="gemini-2.0-flash")
    tone = Criterion(name="tone", prompt="Is the answer polite and free of jargon?")
    standin.clear_requests()
    [context] = schedule(validate_eval_options(evals=[tone]))
    assert drain(10).finished
    [evaluation] = evaluations_under(context, spans)
    assert evaluation.name == "evaluation tone"
    event = event_of(evaluation)
    assert (event["gen_ai.evaluation.score.value"], event["gen_ai.evaluation.score.label"]) == (
        1.0, "pass")  # fmt: skip
    [judge_call] = children_of(evaluation, spans.get_finished_spans())
    assert judge_call.name == "generate_content gemini-2.0-flash"
    [request] = [r for r in standin.requests if "generateContent" in r.path]
    assert request.body["generationConfig"]["responseMimeType"] == "application/json"
    text = request.body["contents"][0]["parts"][0]["text"]
    assert "Criterion: tone" in text and "free of jargon" in text


@pytest.mark.parametrize("rate", [0.0, 1.0, 0.5])
def test_seeded_sampling_gives_the_exact_count(
    standin: StandIn, spans: InMemorySpanExporter, rate: float
) -> None:
    client = openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)
    configure_judge(client=client, model="gpt-4o-mini", seed=20240229)
    calls = 24
    # one draw per call from random.Random(seed): the documented rule
    draws = random.Random(20240229)
    expected = sum(draws.random() < rate for _ in range(calls))
    before = judge_stats()
    contexts = schedule(validate_eval_options(evals=["correctness"], sample_rate=rate), calls)
    assert drain(20).finished
    evaluated = [c for c in contexts if evaluations_under(c, spans)]
    assert len(evaluated) == expected
    assert delta(before, judge_stats()) == {
        k: v for k, v in {"calls": calls, "sampled_out": calls - expected, "queued": expected,
                          "evaluations_ok": expected}.items() if v
    }  # fmt: skip
    assert {0.0: 0, 1.0: calls}.get(rate, expected) == expected
    if rate == 0.5:
        assert 0 < expected < calls


def failing_judge_case(spans: InMemorySpanExporter) -> tuple[ReadableSpan, dict[str, Any]]:
    [context] = schedule(validate_eval_options(evaluation=True))
    assert drain(10).finished
    [evaluation] = evaluations_under(context, spans)
    return evaluation, dict(evaluation.attributes or {})


def test_a_judge_that_raises_is_a_failed_evaluation(
    spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    def judge(request: JudgeRequest) -> str:
        raise RuntimeError("judge service down")

    configure_judge(client=judge)
    before = judge_stats()
    with caplog.at_level(logging.WARNING, logger="aiobs_otel.evaluations"):
        evaluation, attributes = failing_judge_case(spans)
    assert evaluation.status.status_code is StatusCode.ERROR
    assert attributes["error.type"] == "RuntimeError"
    assert attributes["aiobs.evaluation.error"] == "RuntimeError: judge service down"
    assert event_of(evaluation) == {"gen_ai.evaluation.name": "correctness",
                                    "error.type": "RuntimeError"}  # fmt: skip
    assert delta(before, judge_stats())["evaluations_failed"] == 1
    assert any("judge service down" in r.getMessage() for r in caplog.records)


def test_a_judge_that_hangs_is_cut_at_its_timeout(
    spans: InMemorySpanExporter, release: threading.Event
) -> None:
    def judge(request: JudgeRequest) -> str:
        release.wait(30)
        return '{"score": 1}'

    configure_judge(client=judge, timeout=0.2)
    _, attributes = failing_judge_case(spans)
    assert attributes["error.type"] == "timeout"
    assert "did not answer within 0.2 s" in attributes["aiobs.evaluation.error"]


def test_hanging_calls_are_bounded(spans: InMemorySpanExporter, release: threading.Event) -> None:
    def judge(request: JudgeRequest) -> str:
        release.wait(30)
        return "{}"

    configure_judge(client=judge, timeout=0.05, concurrency=1)
    contexts = schedule(validate_eval_options(evaluation=True), 6)
    assert drain(10).finished
    errors = [dict(evaluations_under(c, spans)[0].attributes or {})["error.type"]
              for c in contexts]  # fmt: skip
    # at most four calls may hang at once; later judgements fail at once
    assert errors == ["timeout"] * 4 + ["RuntimeError"] * 2


@pytest.mark.parametrize(
    "answer",
    ["I think the answer is fine!", '{"verdict": "good"}', '{"score": 7}', "", 42],
)
def test_a_garbage_verdict_is_a_failed_evaluation(spans: InMemorySpanExporter, answer: Any) -> None:
    configure_judge(client=lambda request: answer)
    evaluation, attributes = failing_judge_case(spans)
    assert attributes["error.type"] == "unparsable_verdict"
    assert evaluation.status.status_code is StatusCode.ERROR


def test_a_full_queue_drops_and_counts_and_never_blocks(
    spans: InMemorySpanExporter, release: threading.Event
) -> None:
    started = threading.Event()

    def judge(request: JudgeRequest) -> str:
        started.set()
        release.wait(30)
        return '{"score": 1, "label": "ok"}'

    configure_judge(client=judge, queue_size=10, concurrency=1, timeout=60)
    options = validate_eval_options(evals=["correctness"])
    before = judge_stats()
    schedule(options)
    assert started.wait(10)  # the worker holds one job; the queue is empty again
    schedule(options, 999)
    counts = delta(before, judge_stats())
    assert counts == {"calls": 1000, "queued": 11, "dropped": 989}
    assert judge_stats().pending == 11
    release.set()
    assert drain(10).finished
    assert delta(before, judge_stats())["evaluations_ok"] == 11


def test_drain_abandons_what_is_left_and_records_it(
    spans: InMemorySpanExporter, release: threading.Event
) -> None:
    started = threading.Event()

    def judge(request: JudgeRequest) -> str:
        started.set()
        release.wait(30)
        return '{"score": 1}'

    configure_judge(client=judge, concurrency=1, timeout=60)
    before = judge_stats()
    contexts = schedule(validate_eval_options(evals=["correctness", "relevance"]), 3)
    assert started.wait(10)
    waited = drain(0.05)
    assert (waited.finished, waited.pending) == (False, 3)
    given_up = drain(0.05, cancel_pending=True)
    assert (given_up.finished, given_up.pending, given_up.abandoned) == (False, 0, 6)
    assert delta(before, judge_stats())["evaluations_abandoned"] == 6
    errors = [dict(s.attributes or {}).get("error.type")
              for c in contexts for s in evaluations_under(c, spans)]  # fmt: skip
    assert errors == ["abandoned"] * 6
    release.set()


def test_calls_made_by_the_judge_are_never_evaluated(spans: InMemorySpanExporter) -> None:
    seen: list[bool] = []
    options = validate_eval_options(evaluation=True)

    def judge(request: JudgeRequest) -> dict[str, Any]:
        seen.append(is_judging())
        schedule(options)  # what an evaluated function called by the judge would do
        return {"score": 0.25, "label": "partially_correct", "reason": "close"}

    configure_judge(client=judge)
    before = judge_stats()
    [context] = schedule(options)
    assert drain(10).finished
    assert seen == [True] and not is_judging()
    assert delta(before, judge_stats()) == {"calls": 1, "queued": 1, "evaluations_ok": 1}
    [evaluation] = evaluations_under(context, spans)
    assert event_of(evaluation)["gen_ai.evaluation.explanation"] == "close"


def test_no_judge_configured_is_counted_and_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    before = judge_stats()
    with caplog.at_level(logging.WARNING, logger="aiobs_otel.evaluations"):
        schedule(validate_eval_options(evaluation=True), 3)
    assert delta(before, judge_stats()) == {"calls": 3, "no_judge": 3}
    assert len([r for r in caplog.records if "no judge" in r.getMessage()]) <= 1


def test_configure_judge_rejects_what_it_cannot_use() -> None:
    with pytest.raises(TypeError, match=r"openai\.OpenAI, a google\.genai\.Client or a callable"):
        configure_judge(client=object())
    with pytest.raises(ValueError, match="model= is required"):
        configure_judge(client=openai.OpenAI(api_key="test", base_url="http://127.0.0.1:9"))
    with pytest.raises(ValueError, match="timeout > 0"):
        configure_judge(client=lambda r: "{}", timeout=0)


AT_EXIT = """
import atexit, sys, time
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from aiobs_otel.evaluations import (configure_judge, judge_stats, schedule_evaluations,
                                    validate_eval_options)

trace.set_tracer_provider(TracerProvider())
# registered first, so it runs after the judge's own exit hook
atexit.register(lambda: print("stats", judge_stats(), flush=True))
mode = sys.argv[1]

def judge(request):
    time.sleep(0.2 if mode == "slow" else 600)
    return '{"score": 1}'

configure_judge(client=judge, concurrency=1, timeout=900)
options = validate_eval_options(evaluation=True)
for _ in range(3):
    with trace.get_tracer("t").start_as_current_span("generation") as span:
        pass
    schedule_evaluations(options, span_context=span.get_span_context(), inputs="q", output="a")
print("main done", flush=True)
"""


@pytest.mark.parametrize("mode", ["slow", "hung"])
def test_pending_judgements_at_exit_finish_or_are_abandoned(mode: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "AIOBS_EVAL_EXIT_TIMEOUT": "2"}
    done = subprocess.run([sys.executable, "-c", AT_EXIT, mode], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "main done" in done.stdout
    if mode == "slow":  # finished within the exit budget
        assert "evaluations_ok=3" in done.stdout and "evaluations_abandoned=0" in done.stdout
    else:  # the budget ran out: what was left is counted, the process still exits
        assert "evaluations_ok=0" in done.stdout and "evaluations_abandoned=3" in done.stdout
        assert "3 evaluation(s) abandoned at exit" in done.stderr
