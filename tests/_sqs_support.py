"""A real SQS-compatible server for the tests (moto in server mode, in its own
process on 127.0.0.1), a TCP proxy in front of it that a test can kill and
bring back, and helpers to read a queue to the end."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from _zero_code_support import free_port

# Fake credentials and nothing from the developer's AWS setup.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
_AWS_INHERITED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_SQS_URL")


def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials for this test (and none of the developer's AWS settings)."""
    for name in _AWS_INHERITED:
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> MotoServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                return self
            if self._process.poll() is not None:
                raise RuntimeError("moto_server exited at start")
            time.sleep(0.1)
        raise RuntimeError("moto_server did not start within 30 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "sqs",
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def create_queue(self, *, fifo: bool = False) -> str:
        name = f"traces-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true"} if fifo else {}
        return str(self.client().create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


@contextlib.contextmanager
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    try:
        yield server
    finally:
        server.stop()


def receive_all(
    client: Any, queue_url: str, *, expect: int | None = None, timeout: float = 60.0
) -> list[str]:
    """Every message body in the queue (each received once and deleted). With
    ``expect``, keep reading until that many arrived or ``timeout`` passed; then
    read on briefly so that duplicates beyond ``expect`` are seen too."""
    bodies: list[str] = []
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while True:
        answer = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0
        )
        messages = answer.get("Messages") or []
        bodies.extend(message["Body"] for message in messages)
        if messages:
            client.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ])  # fmt: skip
        now = time.monotonic()
        if messages:
            quiet_since = None
            continue
        quiet_since = quiet_since or now
        reached = expect is None or len(bodies) >= expect
        if (reached and now - quiet_since > 0.5) or now > deadline:
            return bodies
        time.sleep(0.05)


def keys_of(bodies: list[str]) -> Counter[str]:
    """How many times each idempotency key arrived."""
    return Counter(json.loads(body)["idempotency_key"] for body in bodies)


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


class KillableProxy:
    """A TCP proxy to ``upstream_port``: ``kill()`` closes the listening socket and
    resets every open connection (the app sees the server die); ``revive()``
    listens again on the same port."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None

    def revive(self) -> KillableProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def kill(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):  # RST, not a polite FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RD)  # wakes the pump blocked in recv()
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                downstream.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    downstream.close()
                    upstream.close()
                    return
                self._sockets.update((downstream, upstream))
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def app_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of an app subprocess: ours, without the developer's AWS,
    OTEL_ and AIOBS_ settings, plus the fake credentials and ``extra``."""
    inherited = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_", "LLMOPS_")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(inherited) and k not in _AWS_INHERITED and k != "ENV"
           and k != "PROJECT_ID"}  # fmt: skip
    env.update(AWS_ENV)
    env["AIOBS_OTEL_STRICT"] = "1"
    env.update(extra)
    return env


APPS = Path(__file__).resolve().parent / "apps"


def make_exporter(queue_url: str, endpoint: str, spill_dir: Path, **settings: Any) -> Any:
    """An SQSSpanExporter for ``queue_url`` (short grace, spill in ``spill_dir``)."""
    from aiobs_otel.exporters.sqs import ProcessDefaults, SQSConfig, SQSSpanExporter

    settings.setdefault("trace_grace_ms", 50)
    defaults = settings.pop("defaults", ProcessDefaults())
    client = settings.pop("client", None)
    config = SQSConfig(queue_url=queue_url, endpoint_url=endpoint, spill_dir=spill_dir, **settings)
    exporter = SQSSpanExporter(config, defaults=defaults, client=client)
    _made.append(exporter)
    return exporter


_made: list[Any] = []


def shut_down_exporters() -> None:
    """Shut down every exporter a test made (a failed test must not leave threads
    sending with another test's settings)."""
    failed = []
    while _made:
        exporter = _made.pop()
        exporter.shutdown(timeout_millis=1000)
        if exporter.stats()["internal_errors"]:
            failed.append(exporter.config.queue_url)
    assert not failed, f"internal errors in the exporters of {failed} (see the log)"


def streaming_provider(exporter: Any, **resource: Any) -> Any:
    """A TracerProvider of its own (never the global one) feeding ``exporter``."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    from aiobs_otel.exporters.sqs import SQSSpanProcessor

    provider = TracerProvider(resource=Resource.create(resource), shutdown_on_exit=False)
    provider.add_span_processor(SQSSpanProcessor(exporter))
    return provider


def spill_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("spill-*.jsonl"))
