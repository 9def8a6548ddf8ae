"""Running aiobs 0.1.5 itself next to aiobs-otel: its interpreter, a loopback
stub of its usage service, and the environment both subprocesses get.

aiobs 0.1.5 lives in ``.venv-aiobs015`` (``scripts/test.sh`` creates it with the
SDK releases of ``.venv``), or the interpreter ``AIOBS015_PYTHON`` names.
Without it the tests fail: the comparison is the point, never skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "aiobs015"
API_KEY = "aiobs_sk_compat_test"
INVALID_KEY = "aiobs_sk_rejected"  # the stub answers 401 for it
# What a test run must not inherit from the developer's shell.
_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_")


def reference_python() -> str:
    """The interpreter that has aiobs 0.1.5."""
    default = REPO / ".venv-aiobs015" / "bin" / "python"
    python = os.environ.get("AIOBS015_PYTHON") or str(default)
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        pytest.fail(
            f"no Python with aiobs==0.1.5 at {python}: run scripts/test.sh, or set "
            "AIOBS015_PYTHON to an interpreter that has aiobs==0.1.5, openai and google-genai",
            pytrace=False,
        )
    return python


def our_python() -> str:
    return sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Shepherd:
    """What the stub received: (method, path, bearer token, body)."""

    url: str
    received: list[tuple[str, str, str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def shepherd_stub() -> Iterator[Shepherd]:
    """aiobs's usage service and flush server on 127.0.0.1: ``GET /v1/usage``
    validates a key (401 for ``INVALID_KEY``), ``POST /v1/traces`` and
    ``POST /v1/usage`` succeed."""
    state = Shepherd(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            state.received.append((method, self.path, token, json.loads(raw) if raw else None))
            if token == INVALID_KEY:
                status, body = 401, {"success": False, "error": "Invalid API key"}
            elif (method, self.path) == ("GET", "/v1/usage"):
                usage = {"tier": "free", "traces_used": 0, "traces_limit": 10_000,
                         "is_rate_limited": False}  # fmt: skip
                status, body = 200, {"success": True, "usage": usage}
            elif method == "POST" and self.path in ("/v1/traces", "/v1/usage"):
                status, body = 200, {"success": True, "message": "stored",
                                     "usage": {"traces_remaining": 9_999}}  # fmt: skip
            else:
                status, body = 404, {"success": False}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def clean_env(shepherd_url: str, **extra: str) -> dict[str, str]:
    """The caller's environment without any observability or provider setting,
    plus the usage-service URLs of both SDKs (``SHEPHERD_URL`` is what our
    scripts write into aiobs 0.1.5's module constant) and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED)}
    env.update(
        SHEPHERD_URL=shepherd_url,
        AIOBS_SHEPHERD_URL=shepherd_url,
        AIOBS_FLUSH_SERVER_URL=shepherd_url,
        AIOBS_API_KEY=API_KEY,
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def run(
    python: str, args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python args...``; fail the test with its output if it fails."""
    cwd.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [python, *args], env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{python} {args} failed:\n{done.stdout}\n{done.stderr}"
    return done
