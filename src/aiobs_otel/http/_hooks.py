"""The request and response hooks we hand to the contrib client instrumentations.

Each hook redacts the span (see ``_spans``), names the client library and call
mode as llmops did (``aiobs.http.client.library``: ``requests``, ``httpx``,
``httpx-async``, ``httpx2``, ``httpx2-async``, ``urllib``;
``aiobs.http.call_mode``: ``sync`` / ``async``), and, when a body preview is
switched on, records a capped, redacted preview of the request body. Hooks
never raise into the call (``_guard``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Span

from .. import attributes as A
from ._guard import guarded, guarded_async
from ._spans import protect_span, redact_span_attributes
from .processor import attach_processor
from .redact import body_preview


@dataclass
class HookSettings:
    """Read by the hooks on every call, so ``instrument_http()`` can change them
    without instrumenting again. 0 means: record no body."""

    body_preview_chars: int = 0


SETTINGS = HookSettings()


def _start(span: Span, library: str, mode: str) -> None:
    # The provider may have been built after instrument_http() (observe() builds
    # it on first use): attach the processor now, for the spans that follow.
    attach_processor()
    protect_span(span)
    if span.is_recording():
        span.set_attributes({A.AIOBS_HTTP_CLIENT_LIBRARY: library, A.AIOBS_HTTP_CALL_MODE: mode})


def _record_body(span: Span, body: Any, content_type: str | None) -> None:
    limit = SETTINGS.body_preview_chars
    if limit <= 0 or not span.is_recording() or not isinstance(body, (bytes, bytearray, str)):
        return
    preview = body_preview(
        bytes(body) if isinstance(body, bytearray) else body, content_type, limit
    )
    if preview:
        span.set_attribute(A.AIOBS_HTTP_REQUEST_BODY_PREVIEW, preview)


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


# --- requests: request is a PreparedRequest -----------------------------------------
@guarded("the requests request hook")
def requests_request_hook(span: Span, request: Any) -> None:
    _start(span, "requests", "sync")
    _record_body(span, getattr(request, "body", None), _header(request.headers, "Content-Type"))


@guarded("the requests response hook")
def requests_response_hook(span: Span, request: Any, response: Any) -> None:
    redact_span_attributes(span)  # response headers were just captured


# --- urllib: request is a urllib.request.Request --------------------------------------
@guarded("the urllib request hook")
def urllib_request_hook(span: Span, request: Any) -> None:
    _start(span, "urllib", "sync")
    content_type = request.get_header("Content-type") if hasattr(request, "get_header") else None
    _record_body(span, getattr(request, "data", None), content_type)


@guarded("the urllib response hook")
def urllib_response_hook(span: Span, request: Any, response: Any) -> None:
    redact_span_attributes(span)


# --- httpx: RequestInfo(method, url, headers, stream, extensions) ---------------------
def _httpx_body(module_name: str, stream: Any) -> bytes | None:
    """The body when httpx (or httpx2) holds it in memory (a ``ByteStream``);
    a streamed or file body is never read: that would consume it."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    if isinstance(stream, module.ByteStream):
        return b"".join(stream)
    return None


def _httpx_request(module_name: str, mode: str) -> Callable[[Span, Any], None]:
    library = module_name if mode == "sync" else f"{module_name}-async"

    def hook(span: Span, request: Any) -> None:
        _start(span, library, mode)
        if SETTINGS.body_preview_chars > 0:
            body = _httpx_body(module_name, getattr(request, "stream", None))
            _record_body(span, body, _header(getattr(request, "headers", None), "content-type"))

    return hook


def _httpx_response(span: Span, request: Any, response: Any) -> None:
    redact_span_attributes(span)


def _httpx_hooks(module_name: str) -> dict[str, Any]:
    """httpx and httpx2 (the openai and google-genai SDKs' client since 2026)
    share one instrumentation package and one hook shape."""
    return {
        "request_hook": guarded(f"the {module_name} request hook")(
            _httpx_request(module_name, "sync")
        ),
        "response_hook": guarded(f"the {module_name} response hook")(_httpx_response),
        "async_request_hook": guarded_async(
            f"the {module_name} async request hook", _httpx_request(module_name, "async")
        ),
        "async_response_hook": guarded_async(
            f"the {module_name} async response hook", _httpx_response
        ),
    }


_HTTPX_HOOKS = {name: _httpx_hooks(name) for name in ("httpx", "httpx2")}


# --- ASGI server spans ----------------------------------------------------------------
@guarded("the ASGI server request hook")
def asgi_server_request_hook(span: Span, scope: Mapping[str, Any]) -> None:
    protect_span(span)


def client_hook_kwargs(client: str) -> dict[str, Any]:
    """The keyword arguments that give a contrib client instrumentor our hooks."""
    if client == "requests":
        return {"request_hook": requests_request_hook, "response_hook": requests_response_hook}
    if client in _HTTPX_HOOKS:
        return dict(_HTTPX_HOOKS[client])
    if client == "urllib":
        return {"request_hook": urllib_request_hook, "response_hook": urllib_response_hook}
    raise ValueError(f"unknown HTTP client {client!r}")
