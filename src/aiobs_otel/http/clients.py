"""Outbound HTTP spans: the contrib instrumentations for requests, httpx (sync
and async) and urllib, switched on with our hooks in one call.

Usage::

    from aiobs_otel.http import instrument_http, http_instrumentation_status

    instrument_http()                 # every installed client, once
    print(http_instrumentation_status())
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any

from . import _hooks
from .processor import attach_processor
from .redact import SENSITIVE_HEADER_PATTERNS

INSTALL_HINT = "pip install 'aiobs-otel[http]'"


@dataclass(frozen=True)
class _Client:
    name: str
    library: str  # the module the user's code imports
    instrumentation: str  # the contrib package's module
    instrumentor: str  # its BaseInstrumentor class
    distribution: str  # what to pip install


CLIENTS: dict[str, _Client] = {
    c.name: c
    for c in (
        _Client(
            "requests",
            "requests",
            "opentelemetry.instrumentation.requests",
            "RequestsInstrumentor",
            "opentelemetry-instrumentation-requests",
        ),
        _Client(
            "httpx",
            "httpx",
            "opentelemetry.instrumentation.httpx",
            "HTTPXClientInstrumentor",
            "opentelemetry-instrumentation-httpx",
        ),
        _Client(
            "httpx2",
            "httpx2",
            "opentelemetry.instrumentation.httpx",
            "HTTPX2ClientInstrumentor",
            "opentelemetry-instrumentation-httpx",
        ),
        _Client(
            "urllib",
            "urllib.request",
            "opentelemetry.instrumentation.urllib",
            "URLLibInstrumentor",
            "opentelemetry-instrumentation-urllib",
        ),
    )
}


@dataclass(frozen=True)
class ClientStatus:
    """One HTTP client, as ``http_instrumentation_status()`` reports it.

    ``instrumented``: its calls produce spans. ``redacting``: with our hooks
    (False when it was instrumented before us, without them: URLs and errors
    are still redacted by our span processor, response headers are not).
    ``missing``: what to install when the client or its instrumentation is absent.
    """

    name: str
    installed: bool
    instrumented: bool
    redacting: bool
    missing: str | None = None


# Clients whose instrumentation carries our hooks: those we instrumented, and
# those the zero-code distro loaded with them (see zero_code.py).
_with_hooks: set[str] = set()
_ours: set[str] = set()
_lock = threading.Lock()


def _missing(client: _Client) -> str | None:
    absent = [
        what
        for module, what in (
            (client.library, client.library),
            (client.instrumentation, client.distribution),
        )
        if not _importable(module)
    ]
    if not absent and not _has_instrumentor(client):
        absent.append(f"{client.distribution} with {client.instrumentor} (a newer release)")
    return f"{', '.join(absent)} not installed ({INSTALL_HINT})" if absent else None


def _has_instrumentor(client: _Client) -> bool:
    try:
        return hasattr(importlib.import_module(client.instrumentation), client.instrumentor)
    except ImportError:
        return False


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _instrumentor(client: _Client) -> Any:
    module = importlib.import_module(client.instrumentation)
    return getattr(module, client.instrumentor)()  # a singleton per class


def _status(client: _Client) -> ClientStatus:
    missing = _missing(client)
    if missing:
        return ClientStatus(client.name, False, False, False, missing)
    instrumented = bool(_instrumentor(client).is_instrumented_by_opentelemetry)
    return ClientStatus(
        client.name, True, instrumented, instrumented and client.name in _with_hooks
    )


def mark_hooks_applied(name: str) -> None:
    """The zero-code distro instrumented ``name`` with our hooks."""
    with _lock:
        _with_hooks.add(name)


def instrument_http(
    *,
    requests: bool = True,
    httpx: bool = True,
    urllib: bool = True,
    body_preview_chars: int | None = None,
    tracer_provider: Any = None,
) -> dict[str, ClientStatus]:
    """Trace outbound HTTP calls of the installed clients; return their status.

    ``httpx`` covers httpx and httpx2 (what the openai and google-genai SDKs
    use since their 2026 releases), sync and async clients alike.

    Every call becomes a CLIENT span (a child of the current span: an
    ``@observe`` function, a provider call, an ASGI request) with sensitive
    query values, user info and captured headers redacted. Calling it again
    changes nothing already switched on (``body_preview_chars`` is updated).

    ``body_preview_chars``: record up to that many characters of JSON and
    form request bodies, redacted (0: none; the default, None, keeps the
    current setting, which starts at 0).
    A client that is not installed is reported as missing, never an error.
    """
    if body_preview_chars is not None:
        if not isinstance(body_preview_chars, int) or body_preview_chars < 0:
            raise ValueError(f"body_preview_chars must be an int >= 0, not {body_preview_chars!r}")
        _hooks.SETTINGS.body_preview_chars = body_preview_chars
    wanted = {"requests": requests, "httpx": httpx, "httpx2": httpx, "urllib": urllib}
    with _lock:
        for name, on in wanted.items():
            client = CLIENTS[name]
            if not on or _missing(client):
                continue
            instrumentor = _instrumentor(client)
            if instrumentor.is_instrumented_by_opentelemetry:
                continue  # by us already, or by someone else (reported as not redacting)
            kwargs = _hooks.client_hook_kwargs(name)
            if name == "urllib":
                kwargs["sensitive_headers"] = sensitive_header_patterns()
            if tracer_provider is not None:
                kwargs["tracer_provider"] = tracer_provider
            instrumentor.instrument(**kwargs)
            _ours.add(name)
            _with_hooks.add(name)
    attach_processor(tracer_provider)
    return http_instrumentation_status()


def uninstrument_http() -> None:
    """Switch off what ``instrument_http()`` switched on (nothing else)."""
    with _lock:
        for name in sorted(_ours):
            _instrumentor(CLIENTS[name]).uninstrument()
            _with_hooks.discard(name)
        _ours.clear()


def http_instrumentation_status() -> dict[str, ClientStatus]:
    """``{"requests": ClientStatus(...), "httpx": ..., "httpx2": ..., "urllib": ...}``."""
    return {name: _status(client) for name, client in CLIENTS.items()}


def sensitive_header_patterns() -> list[str]:
    """Our header patterns plus the user's
    ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS``, for the
    instrumentations that take a sanitize list as an argument."""
    user = os.environ.get("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS", "")
    return [*SENSITIVE_HEADER_PATTERNS, *(p.strip() for p in user.split(",") if p.strip())]
