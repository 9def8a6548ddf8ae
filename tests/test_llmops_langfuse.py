"""llmops-observability's Langfuse configuration on OpenTelemetry.

Each program runs in a fresh process (configuration from the environment is
read once per process) against a loopback OTLP/HTTP receiver standing in for
Langfuse. The programs are llmops's README examples with the import changed;
the README lines they quote are in their comments.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Span, Tracer

from _langfuse_support import (
    TRACES_PATH,
    Receiver,
    Run,
    all_text,
    describe,
    langfuse_view,
    run_program,
    run_programs,
    self_signed_certificate,
)
from aiobs_otel.langfuse import LangfuseSettings, configure, is_valid_environment, otlp_sends_to
from aiobs_otel.langfuse._processor import LangfuseSpanProcessor

PUBLIC, SECRET = "pk-lf-abc123", "sk-lf-xyz789-the-secret"
TOKEN = base64.b64encode(f"{PUBLIC}:{SECRET}".encode()).decode()

# llmops README, "1. Basic Usage with Auto-Configuration" (the Bedrock call replaced
# by a fixed answer, the external-service call left out).
QUICK_START = """
TraceManager.start_trace(
    name="rag_pipeline_example",
    user_id="user_123",
    session_id="session_456",
    metadata={"version": "1.0.0"},
    tags=["example", "rag"]
)

@track_function()
def process_input(user_query: str):
    return {"query": user_query, "processed": True}

@track_llm_call(model="anthropic.claude-3-sonnet-20240229-v1:0")
def call_llm(prompt: str):
    return "Python is a programming language."

result = process_input("What is Python?")
answer = call_llm("Context: ...\\n\\nQuestion: What is Python?")

TraceManager.finalize_and_send(
    trace_name="rag_pipeline_example",
    trace_input={"user_msg": "What is Python?"},
    trace_output={"bot_response": answer}
)
print("answer:", answer)
"""

# "Method 1: Environment Variables (Recommended for production)":
#     from llmops_observability import TraceManager
#     from dotenv import load_dotenv
#     load_dotenv()  # Loads .env from current directory
#     # SDK auto-configures from environment variables
# (the .env values are the process environment here: no python-dotenv needed)
IMPORTS = "from aiobs_otel.llmops import TraceManager, track_function, track_llm_call\n"
METHOD_1 = IMPORTS + QUICK_START

# "Method 2: Explicit Configuration (Recommended for testing)", verbatim but the import.
METHOD_2 = """
from aiobs_otel.llmops import configure
import os

# At application startup (e.g., main.py)
configure(
    public_key=os.getenv("LANGFUSE_PUBLIC_KEY"),
    secret_key=os.getenv("LANGFUSE_SECRET_KEY"),
    base_url=os.getenv("LANGFUSE_BASE_URL"),
    verify_ssl=False
)
"""


@pytest.fixture
def langfuse() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


def _env(receiver: Receiver | str, **extra: str) -> dict[str, str]:
    url = receiver if isinstance(receiver, str) else receiver.base_url
    # the .env of "Method 1", with the stand-in's URL
    env = {"LANGFUSE_PUBLIC_KEY": PUBLIC, "LANGFUSE_SECRET_KEY": SECRET,
           "LANGFUSE_BASE_URL": url, "LANGFUSE_VERIFY_SSL": "false"}  # fmt: skip
    env.update(extra)
    return env


def _ok(run: Run, marker: str = "answer: Python is a programming language.") -> None:
    assert run.returncode == 0, describe(run)
    assert marker in run.stdout, describe(run)
    assert "Traceback" not in run.stderr, describe(run)


def _chats(receiver: Receiver) -> list[dict[str, Any]]:
    return [s for s in receiver.spans if s["attributes"].get("gen_ai.operation.name") == "chat"]


def _by_name(receiver: Receiver) -> dict[str, dict[str, object]]:
    return {span["name"]: span for span in receiver.spans}


def test_environment_variables_alone_send_the_quick_start_to_langfuse(
    langfuse: Receiver, tmp_path: Path
) -> None:
    run = run_program(METHOD_1, tmp_path, _env(langfuse, ENV="uat", PROJECT_ID="my_project"))
    _ok(run)
    assert langfuse.requests, describe(run)
    for request in langfuse.requests:
        assert request.path == TRACES_PATH
        assert request.headers["authorization"] == f"Basic {TOKEN}"
        assert request.headers["x-langfuse-ingestion-version"] == "4"
        assert request.headers["content-type"] == "application/x-protobuf"
    spans = _by_name(langfuse)
    assert set(spans) == {"rag_pipeline_example", "process_input", "call_llm"}
    for span in spans.values():
        view = langfuse_view(span)
        assert view["user_id"] == "user_123"
        assert view["session_id"] == "session_456"  # llmops's session, not aiobs's session.id
        assert view["tags"] == ["example", "rag"]
        assert view["environment"] == "uat"  # "ENV ... automatically mapped"
    root = langfuse_view(spans["rag_pipeline_example"])
    assert spans["rag_pipeline_example"]["parent_span_id"] is None
    assert root["trace_name"] == "rag_pipeline_example"  # finalize_and_send(trace_name=)
    assert json.loads(root["input"]) == {"user_msg": "What is Python?"}
    assert json.loads(root["output"]) == {"bot_response": "Python is a programming language."}
    generation = langfuse_view(spans["call_llm"])
    assert generation["type"] == "GENERATION"
    assert generation["model"] == "anthropic.claude-3-sonnet-20240229-v1:0"
    # spans that started before the late trace_name keep the project's name
    assert langfuse_view(spans["process_input"])["trace_name"] == "my_project"


def test_trace_name_and_environment_come_from_project_id_and_env(
    langfuse: Receiver, tmp_path: Path
) -> None:
    """API Reference, "Example with .env auto-loading" (PROJECT_ID=chatbot-api,
    ENV=production; ``# Trace name in Langfuse: "chatbot-api"``, ``# Environment in
    Langfuse: "production"``) and Best Practices 5 (PROJECT_ID=payment-service:
    ``Trace Name: "payment-service"``, ``Operation: "process_payment" (in metadata)``)."""
    program = """
import os
from aiobs_otel.llmops import TraceManager
# Automatically uses PROJECT_ID and ENV from .env
TraceManager.start_trace(
    name="user_query",
    metadata={"version": "2.0"}
)
TraceManager.end_trace()
os.environ["PROJECT_ID"] = "payment-service"
TraceManager.start_trace(name="process_payment")
TraceManager.end_trace()
print("answer: done")
"""
    run = run_program(program, tmp_path, _env(langfuse, PROJECT_ID="chatbot-api", ENV="production"))
    _ok(run, "answer: done")
    spans = _by_name(langfuse)
    query, payment = spans["user_query"], spans["process_payment"]
    assert langfuse_view(query)["trace_name"] == "chatbot-api"
    assert langfuse_view(query)["environment"] == "production"
    assert langfuse_view(payment)["trace_name"] == "payment-service"
    assert langfuse_view(payment)["environment"] == "production"
    assert payment["attributes"]["aiobs.trace.name"] == "process_payment"  # the operation


def test_explicit_configure_twice_sends_each_span_once(langfuse: Receiver, tmp_path: Path) -> None:
    """Twice before the first trace (the pipeline does not exist yet), and once more
    after it (on the live pipeline): each span arrives once."""
    again = (
        "configure(public_key=os.getenv('LANGFUSE_PUBLIC_KEY'), "
        "secret_key=os.getenv('LANGFUSE_SECRET_KEY'), base_url=os.getenv('LANGFUSE_BASE_URL'))\n"
    )
    program = (
        METHOD_2 + again + IMPORTS + QUICK_START + again
        + "TraceManager.start_trace(name='second')\nTraceManager.end_trace()\n"
    )  # fmt: skip
    run = run_program(program, tmp_path, _env(langfuse))
    _ok(run)
    ids = [span["span_id"] for span in langfuse.spans]
    assert len(ids) == 4 and len(set(ids)) == 4, describe(run)


def test_configure_with_literal_values_and_no_variables(langfuse: Receiver, tmp_path: Path) -> None:
    """Troubleshooting: ``configure(public_key="...", secret_key="...", base_url="...")``."""
    program = (
        "from aiobs_otel.llmops import configure, TraceManager, track_function, track_llm_call\n"
        f"configure(public_key='pk-lf-literal', secret_key='sk-lf-literal', "
        f"base_url={langfuse.base_url!r})\n" + QUICK_START
    )
    run = run_program(program, tmp_path, {})
    _ok(run)
    literal = base64.b64encode(b"pk-lf-literal:sk-lf-literal").decode()
    assert {r.headers["authorization"] for r in langfuse.requests} == {f"Basic {literal}"}
    assert len(langfuse.spans) == 3
    # ENV unset, no deployment.environment on the Resource: llmops's default
    assert {langfuse_view(s)["environment"] for s in langfuse.spans} == {"development"}


OPENAI_PROGRAM = """
import openai
from aiobs_otel.demo import StandIn
{imports}

with StandIn() as standin:
    client = openai.OpenAI(base_url=standin.openai_base_url, api_key="sk-openai-test")
    {start}
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{{"role": "user", "content": "What is Python?"}}]
    )
    {end}
print("answer:", reply.choices[0].message.content)
"""


def test_an_openai_call_arrives_as_a_generation(langfuse: Receiver, tmp_path: Path) -> None:
    """Under llmops's TraceManager, and under aiobs's ``observer.observe()`` (which
    builds the pipeline with Langfuse too)."""
    llmops = OPENAI_PROGRAM.format(
        imports="from aiobs_otel.llmops import TraceManager",
        start='TraceManager.start_trace(name="chat_message", user_id="user_123", '
        'session_id="session_456", tags=["experiment"])',
        end="TraceManager.finalize_and_send(trace_output={'answer': "
        "reply.choices[0].message.content})",
    )
    aiobs = OPENAI_PROGRAM.format(
        imports="from aiobs_otel import observer",
        start='session = observer.observe(session_name="nightly")',
        end="observer.end(); observer.flush()",
    )
    other = Receiver()
    try:
        runs = run_programs(
            {"source": llmops, "cwd": tmp_path / "llmops", "env": _env(langfuse, ENV="staging")},
            {"source": aiobs, "cwd": tmp_path / "aiobs", "env": _env(other)},
        )
    finally:
        other.stop()
    for run in runs:
        _ok(run, "answer: ")
    chats = _chats(langfuse)
    assert len(chats) == 1, describe(runs[0])
    view = langfuse_view(chats[0])
    assert view["type"] == "GENERATION" and view["model"].startswith("gpt-4o-mini")
    assert (view["user_id"], view["session_id"], view["tags"]) == (
        "user_123", "session_456", ["experiment"])  # fmt: skip
    assert view["environment"] == "staging"
    assert chats[0]["attributes"]["gen_ai.usage.input_tokens"] > 0
    assert "sk-openai-test" not in all_text(langfuse)
    (chat,) = other.spans
    # no llmops session_id: Langfuse groups by the aiobs session
    assert langfuse_view(chat)["session_id"] == chat["attributes"]["session.id"]
    assert langfuse_view(chat)["type"] == "GENERATION"
    assert len(runs[1].exports()) == 1


DECORATORS_ONLY = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
trace.set_tracer_provider(TracerProvider())   # the application's own setup
from aiobs_otel.llmops import track_function

@track_function()
def process_input(user_query: str):
    return {"query": user_query, "processed": True}

print("answer:", process_input("What is Python?")["processed"])
"""


def test_zero_code_and_decorators_alone_read_the_variables(
    langfuse: Receiver, tmp_path: Path
) -> None:
    """``opentelemetry-instrument`` with the JSON file (default) and without it
    (``OTEL_TRACES_EXPORTER=console``); and llmops decorators with no trace, on the
    application's own tracer provider."""
    console, decorators = Receiver(), Receiver()
    program = OPENAI_PROGRAM.format(imports="", start="pass", end="pass")
    zero_code = {"source": program, "launcher": "opentelemetry-instrument"}
    try:
        runs = run_programs(
            {**zero_code, "cwd": tmp_path / "file", "env": _env(langfuse)},
            {**zero_code, "cwd": tmp_path / "console",
             "env": _env(console, OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none")},
            {"source": DECORATORS_ONLY, "cwd": tmp_path / "own", "env": _env(decorators)},
        )  # fmt: skip
    finally:
        console.stop()
        decorators.stop()
    _ok(runs[0], "answer: ")
    _ok(runs[1], "answer: ")
    _ok(runs[2], "answer: True")
    for receiver, run in zip((langfuse, console), runs, strict=False):
        chats = [
            s for s in receiver.spans if s["attributes"].get("gen_ai.operation.name") == "chat"
        ]
        assert [langfuse_view(s)["type"] for s in chats] == ["GENERATION"], describe(run)
        assert {r.headers["authorization"] for r in receiver.requests} == {f"Basic {TOKEN}"}
    assert len(runs[0].exports()) == 1 and runs[1].exports() == []
    assert [s["name"] for s in decorators.spans] == ["process_input"], describe(runs[2])


def test_an_otlp_endpoint_already_at_langfuse_is_not_doubled(
    langfuse: Receiver, tmp_path: Path
) -> None:
    """The README's zero-code Langfuse backend variables plus LANGFUSE_*: one exporter."""
    env = _env(
        langfuse,
        OTEL_EXPORTER_OTLP_ENDPOINT=langfuse.base_url + "/api/public/otel",
        OTEL_EXPORTER_OTLP_HEADERS=f"Authorization=Basic%20{TOKEN}",
        OTEL_METRICS_EXPORTER="none",
    )
    run = run_program(METHOD_1, tmp_path, env)
    _ok(run)
    ids = [span["span_id"] for span in langfuse.spans]
    assert len(ids) == 3 and len(set(ids)) == 3, describe(run)
    assert {langfuse_view(s)["session_id"] for s in langfuse.spans} == {"session_456"}


def test_other_backends_headers_and_secrets_stay_out(langfuse: Receiver, tmp_path: Path) -> None:
    """The secret key is in no span, no JSON export and no log line (debug on); the
    OTLP headers meant for another backend do not reach Langfuse."""
    other = Receiver()
    try:
        env = _env(
            langfuse, LANGFUSE_DEBUG="true", OTEL_METRICS_EXPORTER="none",
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=other.base_url + TRACES_PATH,
            OTEL_EXPORTER_OTLP_HEADERS="x-api-key=collector-key",
        )  # fmt: skip
        run = run_program(METHOD_1, tmp_path, env)
    finally:
        other.stop()
    _ok(run)
    assert len(other.spans) == 3 and len(langfuse.spans) == 3, describe(run)
    assert all("x-api-key" not in r.headers for r in langfuse.requests)
    assert all(r.headers.get("x-api-key") == "collector-key" for r in other.requests)
    # LANGFUSE_DEBUG: where, and each batch
    assert "Langfuse at " + langfuse.base_url in run.stderr
    assert "span(s) to " + langfuse.base_url + TRACES_PATH + ": SUCCESS" in run.stderr
    exports = run.exports()
    assert exports
    for text in [*exports, all_text(langfuse), all_text(other), run.stderr, run.stdout]:
        assert SECRET not in text and TOKEN not in text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Timed after a first trace: the process's one-time setup (the pipeline, the
# instrumentors) is not the request path; that trace's export is under way.
TIMED = (
    IMPORTS + "TraceManager.start_trace(name='warm-up')\nTraceManager.end_trace()\n"
    "import time\nstarted = time.monotonic()\n"
    + QUICK_START
    + "print(f'work took {time.monotonic() - started:.3f}s')\n"
)


def test_a_down_or_slow_langfuse_costs_telemetry_only(tmp_path: Path) -> None:
    """A closed port (the default timeouts), and a server that answers after 8 s
    with ``LANGFUSE_TIMEOUT=1``: the program's work does not wait, its output and
    exit code are its own, it ends within the exit budget, the file is written."""
    slow = Receiver(delay=8)
    try:
        down, late = run_programs(
            {"source": TIMED, "cwd": tmp_path / "down",
             "env": _env(f"http://127.0.0.1:{_closed_port()}")},
            {"source": TIMED, "cwd": tmp_path / "slow", "env": _env(slow, LANGFUSE_TIMEOUT="1")},
        )  # fmt: skip
    finally:
        slow.stop()
    for run in (down, late):
        _ok(run)
        assert float(run.stdout.split("work took ")[1].rstrip("s\n")) < 0.5, describe(run)
        assert run.seconds < 15, describe(run)
        assert len(run.exports()) == 2  # one file per trace run, written all the same
    assert slow.requests == []  # it never answered in time


def test_verify_ssl(tmp_path: Path) -> None:
    """An HTTPS Langfuse with a self-signed certificate: ``verify_ssl=False`` sends
    (said once, no urllib3 warning per request); ``True`` refuses it; ``True``
    with that certificate trusted (``REQUESTS_CA_BUNDLE``) sends."""
    certificate, key = self_signed_certificate(tmp_path)
    cases = [("false", False, True), ("true", False, False), ("true", True, True)]
    receivers = [Receiver(tls=(certificate, key)) for _ in cases]
    programs = []
    for index, ((verify, trust, _), https) in enumerate(zip(cases, receivers, strict=True)):
        extra = {"LANGFUSE_VERIFY_SSL": verify, "LANGFUSE_TIMEOUT": "1"}
        if trust:
            extra["REQUESTS_CA_BUNDLE"] = str(certificate)
        programs.append({"source": METHOD_1, "cwd": tmp_path / f"app{index}",
                         "env": _env(https, **extra)})  # fmt: skip
    try:
        runs = run_programs(*programs)
    finally:
        for https in receivers:
            https.stop()
    for (verify, _, arrives), https, run in zip(cases, receivers, runs, strict=True):
        _ok(run)
        assert bool(https.spans) is arrives, describe(run)
        if not arrives:
            assert https.handshake_failures > 0
        assert "InsecureRequestWarning" not in run.stderr
        assert (run.stderr.count("are not verified") == 1) is (verify == "false"), describe(run)


def test_an_environment_langfuse_refuses_is_not_sent(langfuse: Receiver, tmp_path: Path) -> None:
    run = run_program(METHOD_1, tmp_path, _env(langfuse, ENV="Langfuse-Prod"))
    _ok(run)
    assert "'Langfuse-Prod' is not sent to Langfuse" in run.stderr
    assert run.stderr.count("is not sent to Langfuse") == 1
    assert all("langfuse.environment" not in s["attributes"] for s in langfuse.spans)
    assert len(langfuse.spans) == 3


# -- in this process -------------------------------------------------------------


def test_missing_values_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY", "LANGFUSE_BASE_URL",
                 "LANGFUSE_HOST"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError) as caught:
        configure(public_key=PUBLIC)
    message = str(caught.value)
    assert "secret_key (or LANGFUSE_SECRET_KEY)" in message
    assert "base_url (or LANGFUSE_BASE_URL)" in message
    assert "public_key" not in message and PUBLIC not in message
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", SECRET)
    with pytest.raises(ValueError, match="http:// or https://") as caught:
        configure(public_key=PUBLIC, base_url="cloud.langfuse.com")
    assert SECRET not in str(caught.value)
    with pytest.raises(ValueError, match="must not carry credentials") as caught:
        configure(public_key=PUBLIC, base_url="https://pk:hunter2@cloud.langfuse.com")
    assert "hunter2" not in str(caught.value)


def test_settings_endpoint_and_repr() -> None:
    for base in ("https://cloud.langfuse.com", "https://cloud.langfuse.com/",
                 "https://cloud.langfuse.com/api/public/otel",
                 "https://cloud.langfuse.com/api/public/otel/v1/traces"):  # fmt: skip
        settings = LangfuseSettings.resolve(PUBLIC, SECRET, base)
        assert settings.endpoint == "https://cloud.langfuse.com/api/public/otel/v1/traces"
    assert SECRET not in repr(settings)
    assert settings.verify_ssl is False  # llmops's default
    assert settings.headers()["Authorization"] == f"Basic {TOKEN}"
    # verify_ssl=os.getenv("LANGFUSE_VERIFY_SSL") passes a string: read as the variable is
    assert LangfuseSettings.resolve(PUBLIC, SECRET, base, "true").verify_ssl is True
    assert LangfuseSettings.resolve(PUBLIC, SECRET, base, "false").verify_ssl is False
    with pytest.raises(ValueError, match="verify_ssl must be true or false"):
        LangfuseSettings.resolve(PUBLIC, SECRET, base, "maybe")


def test_environment_rule() -> None:
    """``^(?!langfuse)[a-z0-9-_]+$``, at most 40 characters."""
    for good in ("uat", "production", "my-env_2", "a" * 40):
        assert is_valid_environment(good), good
    for bad in ("", "Prod", "langfuse", "langfuse-dev", "a" * 41, "us east", "ü"):
        assert not is_valid_environment(bad), bad


def test_otlp_sends_to() -> None:
    endpoint = "https://cloud.langfuse.com/api/public/otel/v1/traces"
    base = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://cloud.langfuse.com/api/public/otel/"}
    assert otlp_sends_to(endpoint, base)
    assert otlp_sends_to(endpoint, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint})
    assert not otlp_sends_to(endpoint, {**base, "OTEL_TRACES_EXPORTER": "console"})
    assert not otlp_sends_to(endpoint, {**base, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert not otlp_sends_to(endpoint, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"})
    assert not otlp_sends_to(endpoint, {})


def _provider(
    resource: dict[str, str] | None = None,
) -> tuple[Tracer, LangfuseSpanProcessor, InMemorySpanExporter]:
    provider = TracerProvider(resource=Resource.create(resource or {}))
    processor = LangfuseSpanProcessor()
    memory = InMemorySpanExporter()
    provider.add_span_processor(processor)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider.get_tracer("test"), processor, memory


def _trace_span(tracer: Tracer, name: str, context: Context | None = None, **extra: str) -> Span:
    attributes = {"aiobs.span.kind": "trace", "aiobs.trace.name": name, **extra}
    return tracer.start_span(name, context=context, attributes=attributes)


def test_nested_traces_carry_the_outer_name_and_late_updates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace as otel_trace

    from aiobs_otel.trace_context import TraceScope, with_scope

    monkeypatch.delenv("ENV", raising=False)
    monkeypatch.delenv("LLMOPS_ENV", raising=False)
    tracer, processor, memory = _provider({"deployment.environment.name": "prod"})
    outer = _trace_span(tracer, "outer")
    scope = TraceScope.build("outer", user_id="u", conversation_id="conv-1", tags=[],
                             metadata={"environment": "qa"})  # fmt: skip
    inside = with_scope(scope, otel_trace.set_span_in_context(outer))
    inner = _trace_span(tracer, "inner", inside)
    child = tracer.start_span("child", context=inside)
    context = outer.get_span_context()
    processor.update_trace(context.trace_id, inner.get_span_context().span_id,
                           name="ignored", session_id=None)  # fmt: skip
    processor.update_trace(context.trace_id, context.span_id, name="renamed",
                           session_id="conv-2")  # fmt: skip
    late = tracer.start_span("late", context=inside)
    for span in (late, child, inner, outer):
        span.end()
    found = {s.name: dict(s.attributes or {}) for s in memory.get_finished_spans()}
    assert found["child"]["langfuse.trace.name"] == "outer"
    assert found["inner"]["langfuse.trace.name"] == "outer"
    assert found["late"]["langfuse.trace.name"] == "renamed"
    assert found["outer"]["langfuse.trace.name"] == "renamed"
    assert found["outer"]["langfuse.session.id"] == "conv-2"
    assert found["child"]["langfuse.session.id"] == "conv-1"
    assert found["child"]["langfuse.environment"] == "qa"  # the trace's environment
    # no trace environment, no ENV: the Resource's deployment.environment.name stands
    assert "langfuse.environment" not in found["outer"]
    monkeypatch.setenv("ENV", "uat")
    tracer.start_span("with-env").end()
    (last,) = [s for s in memory.get_finished_spans() if s.name == "with-env"]
    assert last.attributes["langfuse.environment"] == "uat"
    assert processor._traces == {}  # forgotten when it ended


def test_a_failing_processor_never_reaches_the_span(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("bug in the Langfuse processor")

    monkeypatch.setenv("AIOBS_OTEL_STRICT", "0")
    monkeypatch.setattr(LangfuseSpanProcessor, "_stamp", broken)
    monkeypatch.setattr(LangfuseSpanProcessor, "_forget_trace", broken)
    tracer, _, memory = _provider()
    with tracer.start_as_current_span("user-work"):
        value = 42
    assert value == 42
    assert [s.name for s in memory.get_finished_spans()] == ["user-work"]
