"""Processes and sick servers for the reliability tests: scripts run in a
clean subprocess, an OTLP endpoint that accepts connections and never
answers, one that answers 503 slowly, and a JSON check by a parser that is
not Python's."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
_INHERITED_PREFIXES = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_")


def clean_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without our and OpenTelemetry's settings, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_PREFIXES)}
    clean["AIOBS_OTEL_STRICT"] = "1"  # our internal errors surface in stderr
    clean["PYTHONPATH"] = str(TESTS)  # the scripts may import the test stubs
    clean.update(env or {})
    return clean


def write_script(directory: Path, code: str, name: str = "app.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


@dataclass
class Run:
    """A finished script: its output, and when its last line ran and when it exited."""

    result: subprocess.CompletedProcess[str]
    exited_at: float  # time.time() when the process was seen gone

    @property
    def stdout(self) -> str:
        return self.result.stdout

    @property
    def stderr(self) -> str:
        return self.result.stderr

    def marker(self, name: str) -> str:
        """The value the script printed as ``NAME=value`` (the last one)."""
        found = [line.split("=", 1)[1] for line in self.stdout.splitlines()
                 if line.startswith(f"{name}=")]  # fmt: skip
        assert found, f"{name}= not printed:\n{self.detail()}"
        return found[-1]

    def seconds_after(self, name: str) -> float:
        """How long the process lived after printing ``NAME=<time.time()>``."""
        return self.exited_at - float(self.marker(name))

    def detail(self) -> str:
        return f"exit {self.result.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_python(
    script: Path,
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    launcher: str | None = None,
    timeout: float = 60,
) -> Run:
    """``python script args`` (or ``<launcher> python script args``, e.g.
    ``opentelemetry-instrument``) in ``cwd`` with a clean environment."""
    command = [sys.executable, str(script), *args]
    if launcher is not None:
        command.insert(0, str(Path(sys.executable).with_name(launcher)))
    result = subprocess.run(command, cwd=cwd, env=clean_env(env), capture_output=True,
                            text=True, timeout=timeout, check=False)  # fmt: skip
    return Run(result, time.time())


# --- sick OTLP endpoints -----------------------------------------------------------------


@contextmanager
def black_hole() -> Iterator[str]:
    """An endpoint that accepts every connection and never answers a byte;
    yields its ``http://127.0.0.1:<port>``."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(connection)  # kept open, never read nor answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for connection in held:
            connection.close()
        listener.close()


class _SlowUnavailable(BaseHTTPRequestHandler):
    delay = 2.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def slow_unavailable(delay: float = 2.0) -> Iterator[str]:
    """An endpoint answering every request with 503 after ``delay`` seconds."""
    handler = type("Handler", (_SlowUnavailable,), {"delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- JSON for parsers outside Python ---------------------------------------------------


def parse_outside_python(path: Path) -> Any:
    """``path`` parsed by jq (else Node); fails, never skips, when it is not JSON."""
    jq = shutil.which("jq")
    if jq is not None:
        done = subprocess.run([jq, "-c", ".", str(path)], capture_output=True, check=False)
        tool = "jq"
    else:
        node = shutil.which("node")
        if node is None:
            pytest.fail("neither jq nor node is installed: scripts/test.sh installs jq")
        reader = "process.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0))))"
        with path.open("rb") as source:
            done = subprocess.run([node, "-e", reader], stdin=source, capture_output=True,
                                  check=False)  # fmt: skip
        tool = "node"
    assert done.returncode == 0, f"{tool} rejects {path.name}: {done.stderr.decode()[-2000:]}"
    return json.loads(done.stdout)


def exports_in(directory: Path) -> list[Path]:
    """The export files a run left in ``directory`` (not the script, not temp files)."""
    return sorted(p for p in directory.glob("*.json") if not p.name.startswith("."))


def load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))
