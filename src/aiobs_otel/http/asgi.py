"""Inbound requests: FastAPI / Starlette / any ASGI app, on the contrib ASGI and
FastAPI instrumentations.

Every request is a SERVER span that continues the caller's trace (from its
``traceparent``); ``@observe`` functions, provider calls and outbound HTTP
calls made while handling it are its children. ``on_request(scope)`` may
return attributes (``{"user.id": ...}``) that go on the server span and on
every span started for that request::

    from aiobs_otel.http import instrument_asgi_app, request_header

    def who(scope):
        user = request_header(scope, "x-user-id")
        return {"user.id": user} if user else None

    app = FastAPI()
    instrument_asgi_app(app, on_request=who)
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Literal

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from .. import attributes as A
from ._guard import report_error
from ._hooks import asgi_server_request_hook
from .clients import INSTALL_HINT, sensitive_header_patterns
from .processor import attach_processor, request_attributes

logger = logging.getLogger("aiobs_otel")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Any], Callable[..., Any]], Awaitable[None]]
OnRequest = Callable[[Mapping[str, Any]], "Mapping[str, AttributeValue] | None"]
_ATTRIBUTE_SCALARS = (str, bool, int, float)
# The ASGI instrumentation's one-span-per-message ("GET /x http send") spans:
# left out, as llmops had none; the server span keeps the status and headers.
EXCLUDED_INTERNAL_SPANS: list[Literal["receive", "send"]] = ["receive", "send"]


def request_header(scope: Mapping[str, Any], name: str) -> str | None:
    """The first value of header ``name`` (any case) in an ASGI scope, or None."""
    wanted = name.lower().encode("latin-1")
    for key, value in scope.get("headers") or ():
        if bytes(key).lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


def _valid_attributes(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        logger.warning(
            "aiobs-otel: on_request returned %s, not a mapping of attributes; ignored",
            type(value).__name__,
        )
        return {}
    valid: dict[str, Any] = {}
    for key, item in value.items():
        if key in ("user_id", "session_id", "tags", "metadata"):
            valid[key] = item  # the trace context's keywords, checked where they are used
            continue
        ok = isinstance(item, _ATTRIBUTE_SCALARS) or (
            isinstance(item, (list, tuple)) and all(isinstance(i, _ATTRIBUTE_SCALARS) for i in item)
        )
        if isinstance(key, str) and ok:
            valid[key] = list(item) if isinstance(item, tuple) else item
        else:
            logger.warning("aiobs-otel: on_request attribute %r is not a valid value; ignored", key)
    return valid


class RequestContextMiddleware:
    """Runs inside the OpenTelemetry ASGI middleware (the server span is
    current): calls ``on_request(scope)`` and gives its attributes, and
    ``service_name``, to the server span and every span of the request."""

    def __init__(
        self, app: ASGIApp, on_request: OnRequest | None = None, service_name: str | None = None
    ) -> None:
        self.app = app
        self.on_request = on_request
        self.service_name = service_name

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        attributes = self._attributes(scope)
        if not attributes:
            await self.app(scope, receive, send)
            return
        with request_attributes(attributes) as context:
            server = trace.get_current_span()  # started before the hook ran
            if server.is_recording():
                server.set_attributes(context.span_attributes)
            await self.app(scope, receive, send)

    def _attributes(self, scope: Scope) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        try:
            attach_processor()
            if self.service_name:
                attributes[A.AIOBS_SERVICE_NAME] = self.service_name
        except Exception:
            report_error("preparing the request's attributes")
        if self.on_request is not None:
            try:
                returned = self.on_request(scope)
            except Exception:  # the user's hook: their request still runs
                logger.warning(
                    "aiobs-otel: on_request raised; request traced without it", exc_info=True
                )
                returned = None
            attributes.update(_valid_attributes(returned))
        return attributes


def _route_span_details(scope: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """``GET /profile/{user_id}`` rather than ``GET /profile/123`` when the app's
    routes say so (Starlette / FastAPI), as the FastAPI instrumentation names them."""
    from opentelemetry.instrumentation.asgi import get_default_span_details

    name, attributes = get_default_span_details(dict(scope))
    route = _route_template(scope)
    if route and scope.get("type") == "http":
        method = name.split(" ", 1)[0]
        return f"{method} {route}", {**attributes, "http.route": route}
    return name, attributes


def _route_template(scope: Mapping[str, Any]) -> str | None:
    try:
        from starlette.routing import Match
    except ImportError:
        return None
    for route in getattr(scope.get("app"), "routes", None) or ():
        try:
            match, _ = route.matches(scope)
        except Exception:
            continue
        if match == Match.FULL:
            path = getattr(route, "path", None)
            return path if isinstance(path, str) else None
    return None


class ASGITracingMiddleware:
    """The OpenTelemetry ASGI middleware with our redaction and request context.

    ``app.add_middleware(ASGITracingMiddleware, on_request=..., service_name=...)``
    on Starlette / FastAPI, or ``ASGITracingMiddleware(app)`` around any ASGI app.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        on_request: OnRequest | None = None,
        service_name: str | None = None,
        excluded_urls: str | None = None,
        tracer_provider: Any = None,
    ) -> None:
        try:
            from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        except ImportError as exc:
            raise ImportError(f"ASGI tracing needs the [http] extra: {INSTALL_HINT}") from exc
        attach_processor(tracer_provider)
        self.app = OpenTelemetryMiddleware(
            RequestContextMiddleware(app, on_request, service_name),
            excluded_urls=excluded_urls,
            default_span_details=_route_span_details,
            server_request_hook=asgi_server_request_hook,
            http_capture_headers_sanitize_fields=sensitive_header_patterns(),
            tracer_provider=tracer_provider,
            exclude_spans=EXCLUDED_INTERNAL_SPANS,
        )

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


_handled: weakref.WeakSet[Any] = weakref.WeakSet()


def _is_fastapi(app: Any) -> bool:
    try:
        import fastapi
    except ImportError:
        return False
    return isinstance(app, fastapi.FastAPI)


def instrument_asgi_app(
    app: Any,
    *,
    on_request: OnRequest | None = None,
    service_name: str | None = None,
    excluded_urls: str | None = None,
    tracer_provider: Any = None,
) -> Any:
    """Trace the app's requests; return the app to serve.

    FastAPI: the contrib FastAPI instrumentation (route names, exceptions in
    handlers), unless it is instrumented already (``opentelemetry-instrument``),
    plus our request context. Starlette: our middleware added to it. Any other
    ASGI callable: returned wrapped in ``ASGITracingMiddleware``. Calling it
    again on the same app changes nothing. Call it before the app serves its
    first request (Starlette refuses new middleware after that).
    """
    if _already_handled(app):
        return app
    if _is_fastapi(app):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        if not getattr(app, "_is_instrumented_by_opentelemetry", False):
            FastAPIInstrumentor.instrument_app(
                app,
                server_request_hook=asgi_server_request_hook,
                http_capture_headers_sanitize_fields=sensitive_header_patterns(),
                excluded_urls=excluded_urls,
                tracer_provider=tracer_provider,
                exclude_spans=EXCLUDED_INTERNAL_SPANS,
            )
        attach_processor(tracer_provider)
        app.add_middleware(
            RequestContextMiddleware, on_request=on_request, service_name=service_name
        )
    elif hasattr(app, "add_middleware") and hasattr(app, "user_middleware"):
        app.add_middleware(
            ASGITracingMiddleware,
            on_request=on_request,
            service_name=service_name,
            excluded_urls=excluded_urls,
            tracer_provider=tracer_provider,
        )
    else:
        wrapped = ASGITracingMiddleware(
            app,
            on_request=on_request,
            service_name=service_name,
            excluded_urls=excluded_urls,
            tracer_provider=tracer_provider,
        )
        _remember(wrapped)
        return wrapped
    _remember(app)
    return app


def _already_handled(app: Any) -> bool:
    try:
        return app in _handled
    except TypeError:  # not weak-referenceable: cannot be remembered
        return False


def _remember(app: Any) -> None:
    with contextlib.suppress(TypeError):
        _handled.add(app)
