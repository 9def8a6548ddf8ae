"""The HTTP side of the shepherd client: settings, one JSON request with
bounded retries, no redirects (the Authorization header never goes elsewhere)."""

from __future__ import annotations

import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any

from .. import env
from ..version import __version__
from .encoding import json_bytes

logger = logging.getLogger("aiobs_otel")

DEFAULT_SHEPHERD_URL = "https://shepherd-api-48963996968.us-central1.run.app"
DEFAULT_FLUSH_SERVER_URL = "https://aiobs-flush-server-48963996968.us-central1.run.app"
SHEPHERD_URL_ENV = "AIOBS_SHEPHERD_URL"
FLUSH_SERVER_URL_ENV = "AIOBS_FLUSH_SERVER_URL"
TIMEOUT_ENV = "AIOBS_SHEPHERD_TIMEOUT"
RETRIES_ENV = "AIOBS_SHEPHERD_RETRIES"
BACKOFF_ENV = "AIOBS_SHEPHERD_BACKOFF"

_MAX_BACKOFF = 8.0
_MAX_BODY = 1_000_000  # answers are small JSON objects; never read more than this


@dataclass(frozen=True)
class Settings:
    """Where and how patiently to talk to the services."""

    shepherd_url: str = DEFAULT_SHEPHERD_URL
    flush_url: str = DEFAULT_FLUSH_SERVER_URL
    timeout: float = 5.0  # seconds per network operation
    retries: int = 2  # extra attempts after connection errors and 5xx
    backoff: float = 0.5  # first retry waits between backoff/2 and backoff seconds

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            shepherd_url=_url_from_env(SHEPHERD_URL_ENV, DEFAULT_SHEPHERD_URL),
            flush_url=_url_from_env(FLUSH_SERVER_URL_ENV, DEFAULT_FLUSH_SERVER_URL),
            timeout=env.number(TIMEOUT_ENV, cls.timeout, minimum=0.001),
            retries=env.number(RETRIES_ENV, cls.retries, minimum=0),
            backoff=env.number(BACKOFF_ENV, cls.backoff, minimum=0.0),
        )


@dataclass(frozen=True)
class Reply:
    """The last answer of one logical request (after retries)."""

    status: int | None  # None: no HTTP answer at all
    body: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # why there was no usable answer, for the log
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.problem


def request_json(
    settings: Settings, method: str, url: str, *, bearer: str, payload: Any = None
) -> Reply:
    """One logical request (with its retries): connection errors and 5xx are
    retried with exponential backoff and jitter; a timeout is not retried."""
    headers = {
        "Authorization": f"Bearer {bearer}",
        "Accept": "application/json",
        "User-Agent": f"aiobs-otel/{__version__}",
    }
    data = None
    if payload is not None:  # a JSON value, or its bytes already encoded
        data = payload if isinstance(payload, bytes) else json_bytes(payload, indent=None)
        headers["Content-Type"] = "application/json"
    if method == "POST":
        # One key per logical POST, shared by its retries: the service can
        # tell a retry from a new request and count usage once.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    attempts = 1 + settings.retries
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        reply, retryable = _attempt(settings, request)
        if not retryable or attempt == attempts:
            return Reply(reply.status, reply.body, reply.problem, attempt)
        time.sleep(_delay(settings, attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(settings: Settings, request: urllib.request.Request) -> tuple[Reply, bool]:
    timeout_problem = f"no answer within {settings.timeout:g}s"
    try:
        with _OPENER.open(request, timeout=settings.timeout) as response:
            return Reply(response.status, _json(response.read(_MAX_BODY))), False
    except urllib.error.HTTPError as exc:
        body = _read_error_body(exc)
        return Reply(exc.code, body), exc.code >= 500
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return Reply(None, problem=timeout_problem), False
        return Reply(None, problem=f"cannot connect: {reason}"), True
    except TimeoutError:
        return Reply(None, problem=timeout_problem), False
    except (OSError, HTTPException) as exc:  # reset, dropped connection, bad status line
        return Reply(None, problem=f"connection failed: {type(exc).__name__}: {exc}"), True


def _delay(settings: Settings, attempt: int) -> float:
    ceiling = min(_MAX_BACKOFF, settings.backoff * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects would forward the Authorization header to wherever they
    point; the services never redirect, so a 3xx is reported as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def _read_error_body(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        with error:
            return _json(error.read(_MAX_BODY))
    except (OSError, HTTPException):  # the status is what matters; the body is a bonus
        return {}


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _url_from_env(name: str, default: str) -> str:
    return (os.environ.get(name) or default).rstrip("/")
