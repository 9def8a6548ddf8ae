"""Running apps under ``opentelemetry-instrument``, and a real Arize Phoenix
server (from its own venv) to receive their spans over OTLP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"
INSTALL_HINT = (
    "python3 -m venv .venv-phoenix && .venv-phoenix/bin/pip install arize-phoenix "
    "(or point PHOENIX_PYTHON at a Python that has arize-phoenix)"
)
# Variables a test run must not inherit from the developer's shell.
_INHERITED_PREFIXES = (
    "AIOBS_",
    "OTEL_",
    "LLM_OBS_OUT",
    "OPENAI_",
    "GEMINI_",
    "GOOGLE_",
    "PHOENIX_",
)


def run_instrumented(
    script: Path, *args: str, cwd: Path, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``opentelemetry-instrument python <script> <args>`` with only ``env``
    configuring it (nothing inherited from the caller's OTEL_* or AIOBS_*)."""
    cwd.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    clean["AIOBS_OTEL_STRICT"] = "1"  # our internal errors surface in stderr
    clean.update(env)
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    return subprocess.run(
        [str(launcher), sys.executable, str(script), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_clean_run(result: subprocess.CompletedProcess[str]) -> None:
    detail = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, detail
    for marker in ("Traceback", "Failed to auto initialize", "aiobs-otel:", "Failed to export"):
        assert marker not in result.stderr, detail


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def phoenix_python() -> Path:
    """The Python that has arize-phoenix; fails the test (never skips) when absent."""
    configured = os.environ.get("PHOENIX_PYTHON")
    path = Path(configured) if configured else REPO / ".venv-phoenix" / "bin" / "python"
    if not path.exists():
        pytest.fail(
            f"Arize Phoenix is required for this test and {path} does not exist: {INSTALL_HINT}",
            pytrace=False,
        )
    check = subprocess.run(
        [str(path), "-c", "import phoenix.server.main"], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        message = f"{path} cannot import Phoenix: {check.stderr[-2000:]}\n{INSTALL_HINT}"
        pytest.fail(message, pytrace=False)
    return path


class PhoenixServer:
    """``phoenix serve`` on 127.0.0.1 with its own ports and working directory.

    The variables are those the installed Phoenix reads (phoenix/config.py):
    PHOENIX_HOST, PHOENIX_PORT (HTTP: UI, REST and OTLP/HTTP at /v1/traces),
    PHOENIX_GRPC_PORT (OTLP/gRPC) and PHOENIX_WORKING_DIR (its SQLite database).
    """

    def __init__(self, python: Path, workdir: Path) -> None:
        self.http_port = free_port()
        self.grpc_port = free_port()
        self.workdir = workdir
        self.log_path = workdir / "phoenix.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
        env.update(
            PHOENIX_HOST="127.0.0.1",
            PHOENIX_PORT=str(self.http_port),
            PHOENIX_GRPC_PORT=str(self.grpc_port),
            PHOENIX_WORKING_DIR=str(workdir),
            # Offline: no telemetry pixels, fonts or downloads.
            PHOENIX_TELEMETRY_ENABLED="false",
            PHOENIX_ALLOW_EXTERNAL_RESOURCES="false",
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", "phoenix.server.main", "serve"],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def otlp_endpoint(self, protocol: str) -> str:
        if protocol == "grpc":
            return f"http://127.0.0.1:{self.grpc_port}"
        return self.base_url  # the HTTP exporter appends /v1/traces

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, deadline_s: float = 240) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = f"phoenix serve exited with {self.process.returncode}:\n"
                pytest.fail(message + self.log_tail(), pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.base_url}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        message = f"phoenix serve not ready after {deadline_s}s:\n"
        pytest.fail(message + self.log_tail(), pytrace=False)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def spans(self, project: str) -> list[dict[str, Any]]:
        """GET /v1/projects/<project>/spans (all pages): Phoenix's own span shape
        (name, context.trace_id/span_id, parent_id, span_kind, attributes)."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = "limit=1000" + (f"&cursor={cursor}" if cursor else "")
            url = f"{self.base_url}/v1/projects/{project}/spans?{query}"
            try:
                with urllib.request.urlopen(url, timeout=10) as reply:
                    page = json.load(reply)
            except urllib.error.HTTPError as exc:
                if exc.code == 404:  # the project appears with its first span
                    return []
                raise
            found.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def wait_for_spans(
        self, project: str, done: Callable[[list[dict[str, Any]]], bool], deadline_s: float = 60
    ) -> list[dict[str, Any]]:
        """Poll until ``done(spans)``: Phoenix ingests OTLP through a queue."""
        deadline = time.monotonic() + deadline_s
        spans = self.spans(project)
        while not done(spans) and time.monotonic() < deadline:
            time.sleep(0.5)
            spans = self.spans(project)
        return spans
