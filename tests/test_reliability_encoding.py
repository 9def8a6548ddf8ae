"""Issue 17, failure 6: every export is JSON for parsers outside Python, and a
lone surrogate never loses an OTLP batch.

NaN and infinities are written as the strings ``"NaN"``, ``"Infinity"``,
``"-Infinity"``; lone surrogates (badly decoded user data) as U+FFFD. The
files are read back with jq (else Node). The same strings on spans are made
encodable before the OTLP encoder sees them: a surrogate in a model name,
a label, an ``@observe`` name, an error message or a user id used to make the
encoder drop the whole batch ("Failed to encode span batch")."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from _llm_stub import llm_env, otlp_http_sink
from _reliability_support import parse_outside_python, run_python, write_script
from aiobs_otel import Observer, observe

pytest_plugins = ("openai_fixtures",)

REPLACEMENT = "\ufffd"


def test_nan_and_infinities_in_an_export_parse_outside_python(
    observer: Observer, client: openai.OpenAI, tmp_path: Path
) -> None:
    @observe
    def score(values: list[float]) -> dict[str, float]:
        return {"mean": float("nan"), "max": float("inf"), "min": float("-inf")}

    observer.observe(session_name="nan")
    with pytest.raises(ValueError, match="JSON compliant"):  # httpx refuses to send it
        client.chat.completions.create(model="gpt-4o-mini", temperature=float("nan"),
                                       messages=[{"role": "user", "content": "hi"}])  # fmt: skip
    score([float("nan"), 1.0])
    path = tmp_path / "nan.json"
    observer.flush(path=str(path))

    assert b"NaN," not in path.read_bytes() and b": NaN" not in path.read_bytes()
    document = parse_outside_python(path)
    (call,) = document["events"]
    assert call["request"]["temperature"] == "NaN"
    assert call["error"].startswith("ValueError: Out of range float values")
    (function,) = document["function_events"]
    assert function["args"] == [["NaN", 1.0]]
    assert function["result"] == {"mean": "NaN", "max": "Infinity", "min": "-Infinity"}


def test_lone_surrogates_in_an_export_become_replacement_characters(
    observer: Observer, flush_json: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")  # 'caf\udce9', as os.fsdecode gives

    @observe(name=f"load {bad}")
    def load(name: str) -> str:
        raise FileNotFoundError(f"no file {name}")

    observer.observe(session_name=f"session {bad}", labels={"origin": bad})
    with pytest.raises(FileNotFoundError):
        load(bad)
    path = tmp_path / "surrogates.json"
    observer.flush(path=str(path))

    raw = path.read_bytes()
    assert b"\\ud" not in raw.lower()  # no escapes jq would reject
    raw.decode("utf-8")  # strict: valid UTF-8 throughout
    document = parse_outside_python(path)
    (session,) = document["sessions"]
    assert session["name"] == f"session caf{REPLACEMENT}"
    assert session["labels"]["origin"] == f"caf{REPLACEMENT}"
    (function,) = document["function_events"]
    assert function["name"] == f"load caf{REPLACEMENT}"
    assert function["args"] == [f"caf{REPLACEMENT}"]
    assert function["error"] == f"FileNotFoundError: no file caf{REPLACEMENT}"


OTLP_APP = """
    import openai
    from aiobs_otel import observer, observe
    from aiobs_otel.tracing import trace

    BAD = b"caf\\xe9".decode("utf-8", "surrogateescape")
    observer.observe(session_name="surrogates", labels={"origin": BAD})
    client = openai.OpenAI(max_retries=0)
    HI = [{"role": "user", "content": "hi"}]

    @observe(name="lookup " + BAD)
    def lookup(name):
        raise LookupError("no entry " + name)

    try:  # httpx cannot send it, but the call was traced with this model name
        client.chat.completions.create(model="gpt-4o" + BAD, messages=HI)
    except UnicodeEncodeError:
        pass
    with trace("support", user_id="user-" + BAD, tags=["tag-" + BAD]):
        # the server's answer has lone surrogates too (JSON escapes: \\udce9)
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
        try:
            lookup(BAD)
        except LookupError:
            pass
    print(f"FLUSHED={observer.flush()}")
"""


def _received_spans(bodies: list[tuple[str, bytes]]) -> list[Any]:
    spans = []
    for path, body in bodies:
        if path == "/v1/traces":
            for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
                for scope in resource.scope_spans:
                    spans.extend(scope.spans)
    return spans


class _SurrogateAnswers(BaseHTTPRequestHandler):
    """Chat completions whose model and text hold lone surrogates (as JSON escapes)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1,
            "model": "gpt-4o-mini-\udce9",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "caf\udce9 au lait"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        }  # fmt: skip
        data = json.dumps(body).encode()  # ensure_ascii: the surrogates travel as \udce9
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def surrogate_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SurrogateAnswers)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_lone_surrogate_does_not_lose_the_otlp_batch(
    tmp_path: Path, surrogate_server: str
) -> None:
    script = write_script(tmp_path / "src", OTLP_APP)
    with otlp_http_sink() as (endpoint, received):
        env = {**llm_env(surrogate_server), "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
               "OTEL_BSP_SCHEDULE_DELAY": "60000"}  # one batch, sent at exit  # fmt: skip
        run = run_python(script, cwd=tmp_path, env=env)
        spans = _received_spans(list(received))
    assert run.result.returncode == 0, run.detail()
    assert "Failed to encode" not in run.stderr and "Exception while exporting" not in run.stderr
    names = Counter(span.name for span in spans)
    assert names == {
        f"chat gpt-4ocaf{REPLACEMENT}": 1, "chat gpt-4o-mini": 1, f"lookup caf{REPLACEMENT}": 1,
        "support": 1,
    }, names  # fmt: skip
    by_name = {span.name: span for span in spans}
    lookup = by_name[f"lookup caf{REPLACEMENT}"]
    (event,) = lookup.events
    messages = {a.key: a.value.string_value for a in event.attributes}
    assert messages["exception.message"] == f"no entry caf{REPLACEMENT}"
    assert lookup.status.message == f"no entry caf{REPLACEMENT}"
    chat = {a.key: a.value for a in by_name["chat gpt-4o-mini"].attributes}
    assert chat["user.id"].string_value == f"user-caf{REPLACEMENT}"
    assert chat["gen_ai.response.model"].string_value == f"gpt-4o-mini-{REPLACEMENT}"
    assert f"caf{REPLACEMENT} au lait" in chat["gen_ai.output.messages"].string_value
    assert [v.string_value for v in chat["aiobs.trace.tags"].array_value.values] == [
        f"tag-caf{REPLACEMENT}"
    ]
    support = {a.key: a for a in by_name["support"].attributes}
    assert support["aiobs.label.origin"].value.string_value == f"caf{REPLACEMENT}"
    parse_outside_python(tmp_path / run.marker("FLUSHED"))
