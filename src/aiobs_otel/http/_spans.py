"""Redaction applied to a live HTTP span: its URL and header attributes, and
what it will record later.

The contrib instrumentations write the URL and captured request headers when
they start the span and response headers before their response hook, so our
hooks (and our span processor, at span start) rewrite those attributes in
place. Some things are recorded after every hook ran: an exception, with the
client's own message (``requests`` quotes the path and query: ``Max retries
exceeded with url: /x?token=…``), the ASGI server's attributes set again after
its start, and everything an instrumentation loaded without our hooks records.
So the span's ``set_attribute(s)``, ``record_exception`` and ``set_status``
are wrapped, on that span only, to redact what they record.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import Span, Status

from .redact import REDACTED, is_sensitive_name, redact_query, redact_text, redact_url

URL_ATTRIBUTES = ("url.full", "http.url", "http.target")
QUERY_ATTRIBUTES = ("url.query",)
HEADER_PREFIXES = ("http.request.header.", "http.response.header.")
# Any of these on a span started by another instrumentation marks it as HTTP.
HTTP_MARKERS = ("http.method", "http.request.method", "url.full", "http.url", "url.path")
_MARK = "__aiobs_redacting__"


def redact_attribute(name: str, value: Any) -> Any:
    """The value to record for attribute ``name``: URLs and queries with their
    sensitive values redacted, sensitive captured headers replaced."""
    if isinstance(value, str):
        if name in URL_ATTRIBUTES:
            return redact_url(value)
        if name in QUERY_ATTRIBUTES:
            return redact_query(value)
    if name.startswith(HEADER_PREFIXES) and _sensitive_header(name):
        if isinstance(value, str):
            return REDACTED
        if isinstance(value, (list, tuple)) and any(item != REDACTED for item in value):
            return [REDACTED] * len(value)
    return value


def redact_span_attributes(span: Span) -> None:
    """Rewrite, in place, the span's URL, query and sensitive header attributes."""
    attributes = getattr(span, "attributes", None)
    if not attributes or not span.is_recording():
        return
    updates: dict[str, Any] = {}
    for name, value in attributes.items():
        redacted = redact_attribute(name, value)
        if redacted is not value and redacted != value:
            updates[name] = redacted
    if updates:
        span.set_attributes(updates)


def _sensitive_header(attribute: str) -> bool:
    header = attribute.split(".", 3)[3] if attribute.count(".") >= 3 else attribute
    return is_sensitive_name(header)


def protect_span(span: Span) -> None:
    """Redact the span's attributes now and everything it records on failure."""
    if not span.is_recording():
        return
    redact_span_attributes(span)
    record = getattr(span, "record_exception", None)
    if record is None or getattr(record, _MARK, False):
        return
    # Instance attributes shadow the methods for this one span (the SDK's; it
    # lives as long as the request): what the instrumentation records after
    # our hooks ran, or without any hook of ours, is redacted as it is set.
    span.record_exception = _redacting_record_exception(record)  # type: ignore[method-assign]
    span.set_status = _redacting_set_status(span.set_status)  # type: ignore[method-assign]
    span.set_attribute = _redacting_set_attribute(span.set_attribute)  # type: ignore[method-assign]
    span.set_attributes = _redacting_set_attributes(span.set_attributes)  # type: ignore[method-assign]


def _redacting_record_exception(record: Callable[..., None]) -> Callable[..., None]:
    def record_exception(
        exception: BaseException,
        attributes: Any = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        redacted: dict[str, Any] = {}
        try:
            stacktrace = "".join(
                traceback.format_exception(type(exception), exception, exception.__traceback__)
            )
            redacted = {
                "exception.message": redact_text(str(exception)),
                "exception.stacktrace": redact_text(stacktrace),
            }
        except Exception:  # a __str__ that fails: the SDK's own record copes with it
            redacted = {}
        if attributes:
            redacted.update(attributes)
        record(exception, attributes=redacted or None, timestamp=timestamp, escaped=escaped)

    setattr(record_exception, _MARK, True)
    return record_exception


def _redacting_set_attribute(set_attribute: Callable[..., None]) -> Callable[..., None]:
    def redacting_set_attribute(key: str, value: Any) -> None:
        set_attribute(key, redact_attribute(key, value))

    return redacting_set_attribute


def _redacting_set_attributes(set_attributes: Callable[..., None]) -> Callable[..., None]:
    def redacting_set_attributes(attributes: Any) -> None:
        set_attributes({k: redact_attribute(k, v) for k, v in attributes.items()})

    return redacting_set_attributes


def _redacting_set_status(set_status: Callable[..., None]) -> Callable[..., None]:
    def redacting_set_status(status: Any, description: str | None = None) -> None:
        if isinstance(status, Status) and status.description:
            status = Status(status.status_code, redact_text(status.description))
        if description:
            description = redact_text(description)
        set_status(status, description)

    return redacting_set_status
