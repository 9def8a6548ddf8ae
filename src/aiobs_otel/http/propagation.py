"""One trace across services, with llmops's names, on the global propagators.

The headers are those of the propagators OpenTelemetry is configured with
(``OTEL_PROPAGATORS``; by default W3C ``traceparent`` / ``tracestate`` and
``baggage``), so any OpenTelemetry service on the other side continues the
trace, and ours continues theirs.

Caller::

    @track_external_service(service_name="user_service", transport="http")
    def fetch_profile(user_id: str) -> dict:
        headers = get_injected_headers()          # this call's span as parent
        return requests.get(f"{URL}/profile/{user_id}", headers=headers).json()

Callee, outside ASGI (a queue consumer)::

    @resume_external_service(headers=lambda message: message["headers"])
    def handle(message: dict) -> None: ...

    with continue_trace(message["headers"]):
        ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import GenericAlias
from typing import Any, TypeVar, cast

from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from .. import attributes as A
from ..version import __version__
from ._guard import report_error
from ._spans import protect_span

_F = TypeVar("_F", bound=Callable[..., Any])
_TRACER_NAME = "aiobs_otel.http"

HeadersSource = Mapping[str, Any] | str | Callable[..., Any] | None


def get_injected_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers that carry the current trace to a downstream service
    (``traceparent``, and ``tracestate`` / ``baggage`` when there are any),
    merged into a copy of ``headers``. Outside any span: no trace headers.

    Inside ``@track_external_service`` the parent they name is that call's
    span. An instrumented HTTP client replaces ``traceparent`` with its own
    span's, one level lower: the downstream service hangs below the HTTP span.
    """
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def _carrier(headers: Any) -> dict[str, str]:
    """Lower-cased ``str -> str`` headers from a mapping (dict, Starlette or
    requests headers) or from ASGI's ``[(b"name", b"value"), ...]`` pairs."""
    if headers is None:
        return {}
    items: Iterable[Any] = headers.items() if isinstance(headers, Mapping) else headers
    carrier: dict[str, str] = {}
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            continue
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if isinstance(name, str) and isinstance(value, str):
            carrier[name.lower()] = value
    return carrier


@contextmanager
def continue_trace(headers: Any) -> Iterator[SpanContext | None]:
    """Run the block as part of the trace ``headers`` carry; yields the remote
    parent's span context (None when the headers carry no trace: the block
    then runs as it would have).

    Spans started inside are children of the remote parent. When the current
    span already belongs to that trace (an instrumented ASGI server continued
    it), nothing changes: spans stay below the server span.
    """
    extracted = propagate.extract(_carrier(headers))
    remote = trace.get_current_span(extracted).get_span_context()
    if not remote.is_valid:
        yield None
        return
    current = trace.get_current_span().get_span_context()
    if current.is_valid and current.trace_id == remote.trace_id:
        yield remote
        return
    token = context.attach(extracted)
    try:
        yield remote
    finally:
        context.detach(token)


def _find_headers(
    source: HeadersSource, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if isinstance(source, Mapping):
        return source
    if callable(source):
        return source(*args, **kwargs)
    try:
        bound = inspect.signature(func).bind_partial(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = dict(kwargs)
    if isinstance(source, str):
        value = bound.get(source)
        return getattr(value, "headers", value)
    # No source given: a ``headers`` argument, or one (a Starlette / FastAPI
    # Request, a message object) that has ``.headers``.
    if "headers" in bound:
        return bound["headers"]
    for value in bound.values():
        found = getattr(value, "headers", None)
        if isinstance(found, Mapping):
            return found
    return None


def resume_external_service(headers: HeadersSource = None) -> Callable[[_F], _F]:
    """Decorator: run the function as part of the trace its caller sent.

    ``headers`` says where the incoming headers are: a parameter name
    (``"message"``: its value, or its ``.headers``), a callable receiving the
    function's arguments, or nothing: then a ``headers`` argument or any
    argument with ``.headers`` (a FastAPI ``Request``) is used. In an
    instrumented ASGI app the server span has already continued the trace and
    the decorator changes nothing. Sync and async functions.
    """

    def decorate(func: _F) -> _F:
        signature = _with_request_parameter(func) if headers is None else None

        def incoming(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            request = kwargs.pop(_REQUEST_PARAMETER, None)
            if request is not None:
                return getattr(request, "headers", None)
            return _safe_find(headers, func, args, kwargs)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with continue_trace(incoming(args, kwargs)):
                    return await func(*args, **kwargs)

            wrapped: Callable[..., Any] = async_wrapper
        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with continue_trace(incoming(args, kwargs)):
                    return func(*args, **kwargs)

            wrapped = wrapper
        if signature is not None:
            wrapped.__signature__ = signature  # type: ignore[attr-defined]
        return cast(_F, wrapped)

    return decorate


# FastAPI / Starlette route handlers often take no request at all (llmops's
# examples: ``async def get_profile(user_id: str)``). The decorated handler
# then declares one more keyword-only parameter, typed ``Request``, that
# FastAPI fills in and the wrapper takes out again: its headers are the
# incoming trace. The function itself never sees it.
_REQUEST_PARAMETER = "aiobs_incoming_request"


def _with_request_parameter(func: Callable[..., Any]) -> inspect.Signature | None:
    try:
        from starlette.requests import HTTPConnection, Request
    except ImportError:
        return None
    try:
        signature = inspect.signature(func, eval_str=True)  # annotations as classes
    except Exception:
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            return None
    for parameter in signature.parameters.values():
        annotation = parameter.annotation
        # not a GenericAlias: on Python 3.10 ``dict[str, str]`` passes isinstance(..., type)
        takes_request = (isinstance(annotation, type) and not isinstance(annotation, GenericAlias)
                         and issubclass(annotation, HTTPConnection))  # fmt: skip
        if takes_request or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if parameter.name in ("headers", "request"):
            return None
    extra = inspect.Parameter(
        _REQUEST_PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Request
    )
    return signature.replace(parameters=[*signature.parameters.values(), extra])


def _safe_find(
    source: HeadersSource, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    try:
        return _find_headers(source, func, args, kwargs)
    except Exception:
        report_error("finding the incoming trace headers")
        return None


def track_external_service(
    service_name: str, transport: str = "http", *, name: str | None = None
) -> Callable[[_F], _F]:
    """Decorator: a CLIENT span around a call to another service.

    The span (``{service_name} {function}``, or ``name``) carries
    ``peer.service`` and ``aiobs.external.transport``; ``get_injected_headers()``
    inside names it as the parent. If the call raises (connection refused, a
    timeout) the span ends with status ERROR and ``error.type`` and the
    exception is re-raised unchanged; nothing waits for the other side.
    """

    def decorate(func: _F) -> _F:
        span_name = name or f"{service_name} {func.__name__}"
        attributes = {
            A.PEER_SERVICE: service_name,
            A.AIOBS_EXTERNAL_TRANSPORT: transport,
            A.CODE_FUNCTION_NAME: func.__qualname__,
        }

        @contextmanager
        def span() -> Iterator[None]:
            tracer = trace.get_tracer(_TRACER_NAME, __version__)
            with tracer.start_as_current_span(
                span_name,
                kind=SpanKind.CLIENT,
                attributes=attributes,
                record_exception=False,
                set_status_on_exception=False,
            ) as current:
                protect_span(current)
                try:
                    yield
                except BaseException as exc:
                    _record_failure(current, exc)
                    raise

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with span():
                    return await func(*args, **kwargs)

            return cast(_F, async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with span():
                return func(*args, **kwargs)

        return cast(_F, wrapper)

    return decorate


def _record_failure(span: trace.Span, exc: BaseException) -> None:
    try:
        if not span.is_recording():
            return
        span.record_exception(exc)
        span.set_attribute(A.ERROR_TYPE, type(exc).__qualname__)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
    except Exception:
        report_error("recording a failed external call")
