"""The shepherd client against a stand-in of the three endpoints on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel import Observer, observe
from aiobs_otel.exporters import CustomExporter, shepherd

KEY = "aiobs_sk_test_0123456789abcdef"
USAGE = {"tier": "free", "traces_used": 40, "traces_limit": 100, "is_rate_limited": False}
DEFAULTS: dict[str, tuple[int, dict[str, Any]]] = {
    "GET /v1/usage": (200, {"success": True, "usage": USAGE}),
    "POST /v1/traces": (200, {"message": "stored"}),
    "POST /v1/usage": (200, {"success": True, "usage": {"traces_remaining": 57}}),
}
HANG = "hang"  # a scripted reply: wait until the test releases the server


@dataclass
class Seen:
    route: str
    headers: dict[str, str]
    body: Any


class StandIn(ThreadingHTTPServer):
    """Shepherd and flush server in one; each route follows a script of
    replies (the last one repeats), then falls back to a success."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.seen: list[Seen] = []
        self.scripts: dict[str, list[Any]] = {}
        self.counted = 0  # traces counted, once per Idempotency-Key, like the real service
        self.usage_keys: set[str] = set()
        self.waiting = threading.Event()  # a HANG reply has started waiting
        self.release = threading.Event()

    def plan(self, route: str, *replies: Any) -> None:
        self.scripts[route] = list(replies)

    def next_reply(self, route: str) -> Any:
        script = self.scripts.get(route)
        if not script:
            return DEFAULTS[route]
        return script.pop(0) if len(script) > 1 else script[0]

    def requests(self, route: str) -> list[Seen]:
        return [s for s in self.seen if s.route == route]


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        route = f"{self.command} {self.path}"
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.seen.append(Seen(route, dict(self.headers), body))
        reply = self.server.next_reply(route)
        if reply == HANG:
            self.server.waiting.set()
            self.server.release.wait(30)
            reply = DEFAULTS[route]
        status, payload = reply if isinstance(reply, tuple) else (reply, {})
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            status, payload = 401, {"error": "invalid api key"}
        # A 5xx here means "counted, then failed to answer": the case in which
        # a retry without an idempotency key would count twice.
        if route == "POST /v1/usage" and (status < 300 or status >= 500):
            idempotency_key = self.headers.get("Idempotency-Key", "")
            if not idempotency_key or idempotency_key not in self.server.usage_keys:
                self.server.usage_keys.add(idempotency_key)
                self.server.counted += body["trace_count"]
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    server = StandIn()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    point_at(monkeypatch, server.url)
    monkeypatch.setenv("AIOBS_SHEPHERD_BACKOFF", "0.01")
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # everything, urllib and ours: the key must not show
    return caplog


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("AIOBS_SHEPHERD_URL", url)
    monkeypatch.setenv("AIOBS_FLUSH_SERVER_URL", url)


@observe
def work(value: int) -> int:
    return value * 2


def record_run(observer: Observer, calls: int = 3, **observe_kwargs: Any) -> str:
    session_id = observer.observe(**observe_kwargs)
    for i in range(calls):
        work(i)
    observer.end()
    return session_id


def warnings_text(logs: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in logs.records if r.levelno >= logging.WARNING)


def test_success_validates_uploads_and_counts_usage(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    session_id = record_run(observer, api_key=KEY)
    path = observer.flush(path=str(tmp_path / "run.json"))

    assert [s.route for s in standin.seen] == ["GET /v1/usage", "POST /v1/traces", "POST /v1/usage"]
    assert all(s.headers["Authorization"] == f"Bearer {KEY}" for s in standin.seen)
    written = json.loads(Path(path).read_text(encoding="utf-8"))
    (upload,) = standin.requests("POST /v1/traces")
    assert upload.body == written  # the whole export, as in the local file
    assert [s["id"] for s in upload.body["sessions"]] == [session_id]
    (usage,) = standin.requests("POST /v1/usage")
    assert usage.body == {"trace_count": 3}
    assert upload.headers["Idempotency-Key"] != usage.headers["Idempotency-Key"]
    assert standin.counted == 3
    assert warnings_text(logs) == ""
    assert KEY not in Path(path).read_text(encoding="utf-8")
    assert KEY not in logs.text


def test_flush_to_an_exporter_also_uploads(observer: Observer, standin: StandIn) -> None:
    record_run(observer, calls=2, api_key=KEY)
    result = observer.flush(exporter=CustomExporter(lambda data, options: None))
    assert result.success
    assert [s.route for s in standin.seen] == ["GET /v1/usage", "POST /v1/traces", "POST /v1/usage"]
    assert standin.counted == 2


def test_key_from_environment(
    observer: Observer, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOBS_API_KEY", KEY)
    record_run(observer, calls=1)
    observer.flush()
    assert [s.route for s in standin.seen] == ["GET /v1/usage", "POST /v1/traces", "POST /v1/usage"]
    assert standin.counted == 1


def test_without_a_key_nothing_is_sent(observer: Observer, standin: StandIn) -> None:
    record_run(observer)
    observer.flush()
    assert standin.seen == []


def test_no_usage_record_for_an_export_without_events(observer: Observer, standin: StandIn) -> None:
    record_run(observer, calls=0, api_key=KEY)
    observer.flush()
    assert [s.route for s in standin.seen] == ["GET /v1/usage", "POST /v1/traces"]


def test_rejected_key_on_observe_raises_and_starts_no_session(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture
) -> None:
    wrong = "aiobs_sk_wrong_key_42"
    with pytest.raises(ValueError, match="Invalid API key") as raised:
        observer.observe(api_key=wrong)
    assert observer.session_id is None
    assert wrong not in str(raised.value)
    assert wrong not in logs.text


def test_rejected_key_at_flush_raises_after_the_file_is_written(
    observer: Observer, standin: StandIn, tmp_path: Path
) -> None:
    record_run(observer, api_key=KEY)
    standin.plan("POST /v1/traces", (401, {"error": "revoked"}))
    target = tmp_path / "run.json"
    with pytest.raises(ValueError, match=r"Invalid API key.*written locally"):
        observer.flush(path=str(target))
    assert len(json.loads(target.read_text(encoding="utf-8"))["function_events"]) == 3
    assert standin.requests("POST /v1/usage") == []


def test_rate_limit_is_reported_with_tier_and_limits(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    record_run(observer, api_key=KEY)
    limited = {"tier": "free", "traces_used": 100, "traces_limit": 100}
    standin.plan("POST /v1/usage", (429, {"error": "Rate limit exceeded", "usage": limited}))
    path = observer.flush(path=str(tmp_path / "run.json"))
    assert Path(path).exists()
    assert "rate limited" in warnings_text(logs)
    assert "tier=free, used 100 of 100 traces" in warnings_text(logs)
    assert standin.counted == 0
    assert len(standin.requests("POST /v1/usage")) == 1  # a 429 is not retried


def test_rate_limited_key_warns_on_observe(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture
) -> None:
    standin.plan(
        "GET /v1/usage",
        (200, {"success": True, "usage": {**USAGE, "traces_used": 100, "is_rate_limited": True}}),
    )
    assert observer.observe(api_key=KEY) == observer.session_id
    assert "usage limit is reached (tier=free, used 100 of 100 traces)" in warnings_text(logs)


def test_server_errors_are_retried_and_usage_counted_once(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture
) -> None:
    record_run(observer, api_key=KEY)
    standin.plan("POST /v1/traces", 503, 200)
    standin.plan("POST /v1/usage", 500, 200)
    observer.flush()
    uploads = standin.requests("POST /v1/traces")
    usages = standin.requests("POST /v1/usage")
    assert len(uploads) == 2 and len(usages) == 2
    assert len({s.headers["Idempotency-Key"] for s in uploads}) == 1
    assert len({s.headers["Idempotency-Key"] for s in usages}) == 1
    assert standin.counted == 3  # the retry was recognised, not counted again
    assert warnings_text(logs) == ""


def test_retries_are_bounded_and_a_failed_upload_is_not_counted(
    observer: Observer,
    standin: StandIn,
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("AIOBS_SHEPHERD_RETRIES", "2")
    record_run(observer, api_key=KEY)
    standin.plan("POST /v1/traces", 502)
    path = observer.flush(path=str(tmp_path / "run.json"))
    assert len(standin.requests("POST /v1/traces")) == 3
    assert standin.requests("POST /v1/usage") == []
    assert "not uploaded" in warnings_text(logs) and "HTTP 502 after 3 attempt(s)" in logs.text
    assert len(json.loads(Path(path).read_text(encoding="utf-8"))["function_events"]) == 3


def test_a_server_that_never_answers_costs_one_timeout(
    observer: Observer,
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Listening but never accepting: connections complete, answers never come.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        point_at(monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setenv("AIOBS_SHEPHERD_TIMEOUT", "0.2")
        record_run(observer, api_key=KEY)
        path = observer.flush(path=str(tmp_path / "run.json"))
    assert "could not check the API key" in warnings_text(logs)
    assert "no answer within 0.2s after 1 attempt(s)" in warnings_text(logs)
    assert len(json.loads(Path(path).read_text(encoding="utf-8"))["function_events"]) == 3
    assert KEY not in logs.text


def test_connection_refused_is_retried_then_reported(
    observer: Observer,
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_at(monkeypatch, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AIOBS_SHEPHERD_BACKOFF", "0.01")
    monkeypatch.setenv("AIOBS_SHEPHERD_RETRIES", "1")
    record_run(observer, api_key=KEY)
    path = observer.flush(path=str(tmp_path / "run.json"))
    assert "cannot connect" in warnings_text(logs)
    assert "after 2 attempt(s)" in warnings_text(logs)
    assert Path(path).exists()


def test_redirects_are_not_followed(
    observer: Observer, standin: StandIn, logs: pytest.LogCaptureFixture
) -> None:
    # Following one would send the Authorization header wherever it points.
    standin.plan("GET /v1/usage", 302)
    observer.observe(api_key=KEY)
    assert [s.route for s in standin.seen] == ["GET /v1/usage"]
    assert "HTTP 302" in warnings_text(logs)


def test_recording_goes_on_while_a_flush_waits_on_a_slow_server(
    observer: Observer, standin: StandIn, tmp_path: Path
) -> None:
    record_run(observer, calls=2, api_key=KEY, session_name="first")
    standin.plan("POST /v1/traces", HANG, 200)
    flushed: list[Any] = []
    flusher = threading.Thread(
        target=lambda: flushed.append(observer.flush(path=str(tmp_path / "first.json")))
    )
    flusher.start()
    assert standin.waiting.wait(10), "the flush never reached the server"

    # The flush is blocked on the network; another thread must not be.
    recorded: dict[str, Any] = {}

    def record_second() -> None:
        recorded["id"] = observer.observe(api_key=KEY, session_name="second")
        recorded["results"] = [work(i) for i in range(3)]
        observer.end()

    recorder = threading.Thread(target=record_second)
    recorder.start()
    recorder.join(10)
    blocked = recorder.is_alive()
    still_flushing = flusher.is_alive()
    standin.release.set()  # before asserting, so a failure cannot hang the test
    assert not blocked, "recording waited for the flush's network call"
    assert recorded["results"] == [0, 2, 4]
    assert still_flushing  # the recording happened while the upload was waiting
    second = recorded["id"]

    flusher.join(10)
    assert flushed == [str(tmp_path / "first.json")]
    document = json.loads((tmp_path / "first.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in document["sessions"]] == ["first"]
    later = json.loads(Path(observer.flush(path=str(tmp_path / "second.json"))).read_text())
    assert [s["id"] for s in later["sessions"]] == [second]
    assert [e["args"] for e in later["function_events"]] == [[0], [1], [2]]


def test_bad_settings_fall_back_to_defaults(
    monkeypatch: pytest.MonkeyPatch, logs: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIOBS_SHEPHERD_TIMEOUT", "soon")
    monkeypatch.setenv("AIOBS_SHEPHERD_RETRIES", "-1")
    monkeypatch.setenv("AIOBS_SHEPHERD_BACKOFF", "inf")
    monkeypatch.setenv("AIOBS_SHEPHERD_URL", "http://127.0.0.1:9/")
    settings = shepherd.Settings.from_env()
    assert (settings.timeout, settings.retries, settings.backoff) == (5.0, 2, 0.5)
    assert settings.shepherd_url == "http://127.0.0.1:9"
    assert settings.flush_url == shepherd.DEFAULT_FLUSH_SERVER_URL
    assert "AIOBS_SHEPHERD_TIMEOUT='soon' is not valid" in warnings_text(logs)
    assert KEY not in repr(shepherd.ShepherdClient(KEY, settings))
