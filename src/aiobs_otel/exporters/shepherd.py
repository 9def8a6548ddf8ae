"""Client of aiobs's hosted services: shepherd (API key and usage) and the flush server.

Only used when an API key is given (``observe(api_key=)`` or ``AIOBS_API_KEY``);
without one nothing leaves the machine. Protocol (see DESIGN.md):

- ``GET {shepherd}/v1/usage`` on ``observe()``: checks the key;
- ``POST {flush}/v1/traces`` on ``flush()``: the whole export as JSON;
- ``POST {shepherd}/v1/usage`` ``{"trace_count": N}`` after a successful upload,
  when the export holds events.

Failure rules: a rejected key (401) raises ``ValueError``; everything else
(rate limit, server errors, unreachable or silent servers) is logged as a
warning and never raised, because the user's data is already safe locally.
Each attempt waits at most ``AIOBS_SHEPHERD_TIMEOUT`` seconds per network
operation (connect, send, each read); connection errors and 5xx answers are
retried ``AIOBS_SHEPHERD_RETRIES`` times with exponential backoff and jitter,
a timeout is not retried (a silent server costs one timeout, not several).
Every POST carries an ``Idempotency-Key`` reused by its retries, so a retried
usage record is counted once. The key never appears in logs or messages.
"""

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

from .._version import __version__
from ._files import json_bytes

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
            timeout=_number_from_env(TIMEOUT_ENV, cls.timeout, float, minimum=0.001),
            retries=int(_number_from_env(RETRIES_ENV, cls.retries, int, minimum=0)),
            backoff=_number_from_env(BACKOFF_ENV, cls.backoff, float, minimum=0.0),
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


class ShepherdClient:
    """One API key's calls to the shepherd and flush services.

    Usage::

        client = ShepherdClient("aiobs_sk_...")
        client.validate_key()           # ValueError if rejected
        if client.upload(document):     # the ObservabilityExport as a dict
            client.record_usage(12)
    """

    def __init__(self, api_key: str, settings: Settings | None = None) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self._api_key = api_key
        self.settings = settings or Settings.from_env()

    def __repr__(self) -> str:  # never show the key
        return f"ShepherdClient(shepherd_url={self.settings.shepherd_url!r})"

    def validate_key(self) -> dict[str, Any] | None:
        """Check the key; return the usage summary, or None when unknown.

        Raises ``ValueError`` when the service rejects the key (401).
        """
        url = f"{self.settings.shepherd_url}/v1/usage"
        reply = self._request("GET", url)
        _raise_if_rejected(reply, "")
        if not reply.ok:
            logger.warning(
                "aiobs-otel: could not check the API key with %s (%s); recording goes on, "
                "the key is used again at flush",
                url,
                reply.describe(),
            )
            return None
        usage = _usage(reply.body)
        if usage.get("is_rate_limited"):
            logger.warning(
                "aiobs-otel: the aiobs usage limit is reached (tier=%s, used %s of %s traces); "
                "this run is still recorded locally, but the service may refuse to count it",
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
        else:
            logger.debug(
                "aiobs-otel: API key accepted (tier=%s, used %s of %s traces)",
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
        return usage

    def upload(self, document: dict[str, Any]) -> bool:
        """Send the export to the flush server; True when it was accepted.

        Raises ``ValueError`` when the key is rejected (401).
        """
        url = f"{self.settings.flush_url}/v1/traces"
        reply = self._request("POST", url, document)
        _raise_if_rejected(
            reply,
            " during flush(); the export was still written locally (or given to your "
            "exporter) but it was not uploaded and usage was not recorded",
        )
        if not reply.ok:
            logger.warning(
                "aiobs-otel: the export was not uploaded to %s (%s after %d attempt(s)); "
                "the local file or exporter result is unaffected; usage was not recorded",
                url,
                reply.describe(),
                reply.attempts,
            )
            return False
        logger.debug("aiobs-otel: export uploaded (%s)", reply.body.get("message", "ok"))
        return True

    def record_usage(self, trace_count: int) -> bool:
        """Count ``trace_count`` traces against the key; True when recorded.

        Raises ``ValueError`` when the key is rejected (401); a rate limit (429)
        is logged with the tier and the limits.
        """
        url = f"{self.settings.shepherd_url}/v1/usage"
        reply = self._request("POST", url, {"trace_count": trace_count})
        _raise_if_rejected(
            reply, " while recording usage; the export was written and uploaded, not counted"
        )
        if reply.status == 429:
            usage = _usage(reply.body)
            logger.warning(
                "aiobs-otel: usage not recorded: rate limited by the aiobs service (%s; "
                "tier=%s, used %s of %s traces); the export itself is saved",
                reply.body.get("error", "rate limit exceeded"),
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
            return False
        if not reply.ok:
            logger.warning(
                "aiobs-otel: could not record usage of %d traces at %s (%s after %d attempt(s))",
                trace_count,
                url,
                reply.describe(),
                reply.attempts,
            )
            return False
        logger.debug(
            "aiobs-otel: usage recorded: %d traces, %s remaining",
            trace_count,
            _usage(reply.body).get("traces_remaining", "unknown"),
        )
        return True

    # -- transport ----------------------------------------------------------------
    def _request(self, method: str, url: str, payload: Any = None) -> Reply:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Accept": "application/json",
            "User-Agent": f"aiobs-otel/{__version__}",
        }
        data = None
        if payload is not None:
            data = json_bytes(payload, indent=None)
            headers["Content-Type"] = "application/json"
        if method == "POST":
            # One key per logical POST, shared by its retries: the service can
            # tell a retry from a new request and count usage once.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        attempts = 1 + self.settings.retries
        for attempt in range(1, attempts + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            reply, retryable = self._attempt(request)
            if not retryable or attempt == attempts:
                return Reply(reply.status, reply.body, reply.problem, attempt)
            time.sleep(self._delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, request: urllib.request.Request) -> tuple[Reply, bool]:
        try:
            with _OPENER.open(request, timeout=self.settings.timeout) as response:
                return Reply(response.status, _json(response.read(_MAX_BODY))), False
        except urllib.error.HTTPError as exc:
            body = _read_error_body(exc)
            return Reply(exc.code, body), exc.code >= 500
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                return Reply(None, problem=self._timeout_problem()), False
            return Reply(None, problem=f"cannot connect: {reason}"), True
        except TimeoutError:
            return Reply(None, problem=self._timeout_problem()), False
        except (OSError, HTTPException) as exc:  # reset, dropped connection, bad status line
            return Reply(None, problem=f"connection failed: {type(exc).__name__}: {exc}"), True

    def _timeout_problem(self) -> str:
        return f"no answer within {self.settings.timeout:g}s"

    def _delay(self, attempt: int) -> float:
        ceiling = min(_MAX_BACKOFF, self.settings.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects would forward the Authorization header to wherever they
    point; the services never redirect, so a 3xx is reported as a failure."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


# -- what the Observer calls ------------------------------------------------------
def validate_key(api_key: str) -> None:
    """``observe()``: check the key; ``ValueError`` if rejected, else at most a warning."""
    ShepherdClient(api_key).validate_key()


def report_flush(api_key: str, document: dict[str, Any]) -> None:
    """``flush()``, after the data is safe: upload it, then count its traces.

    Usage is recorded only for an accepted upload, so a failed upload is never
    billed. Raises ``ValueError`` when the key is rejected.
    """
    client = ShepherdClient(api_key)
    if not client.upload(document):
        return
    trace_count = len(document.get("events") or []) + len(document.get("function_events") or [])
    if trace_count > 0:
        client.record_usage(trace_count)


# -- helpers ----------------------------------------------------------------------
def _raise_if_rejected(reply: Reply, context: str) -> None:
    if reply.status == 401:
        raise ValueError(
            f"Invalid API key: the aiobs service rejected it (HTTP 401){context}. "
            "Check observe(api_key=...) or AIOBS_API_KEY."
        )


def _read_error_body(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        with error:
            return _json(error.read(_MAX_BODY))
    except (OSError, HTTPException):  # the status is what matters; the body is a bonus
        return {}


def _usage(body: dict[str, Any]) -> dict[str, Any]:
    usage = body.get("usage")
    return usage if isinstance(usage, dict) else {}


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _url_from_env(name: str, default: str) -> str:
    return (os.environ.get(name) or default).rstrip("/")


def _number_from_env(name: str, default: float, kind: type, *, minimum: float) -> Any:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not minimum <= value <= 3600:  # also rejects nan and inf
        logger.warning("aiobs-otel: %s=%r is not valid; using %s", name, raw, default)
        return default
    return value
