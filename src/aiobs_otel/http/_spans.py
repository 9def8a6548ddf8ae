"""Redaction applied to a live HTTP span: its URL and header attributes, and
what it will record if the request fails.

The contrib instrumentations write the URL and captured request headers when
they start the span and response headers before their response hook, so our
hooks (and, for spans we got no hook for, our span processor) rewrite those
attributes in place. An exception is recorded by the instrumentation after
every hook has run, with the client's own message — ``requests`` quotes the
path and query (``Max retries exceeded with url: /x?token=…``) — so the span's
``record_exception`` and ``set_status`` are wrapped, on that span only, to
redact the message, stack trace and status description they record.
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


def redact_span_attributes(span: Span) -> None:
    """Rewrite, in place, the span's URL, query and sensitive header attributes."""
    attributes = getattr(span, "attributes", None)
    if not attributes or not span.is_recording():
        return
    updates: dict[str, Any] = {}
    for name, value in attributes.items():
        if not isinstance(value, str):
            sensitive = name.startswith(HEADER_PREFIXES) and _sensitive_header(name)
            if sensitive and value and any(item != REDACTED for item in value):
                updates[name] = [REDACTED] * len(value)
            continue
        if name in URL_ATTRIBUTES:
            redacted = redact_url(value)
        elif name in QUERY_ATTRIBUTES:
            redacted = redact_query(value)
        elif name.startswith(HEADER_PREFIXES) and _sensitive_header(name):
            redacted = REDACTED
        else:
            continue
        if redacted != value:
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
    # Instance attributes shadow the methods for this one span; the span is
    # the SDK's and lives only as long as the request.
    span.record_exception = _redacting_record_exception(record)  # type: ignore[method-assign]
    span.set_status = _redacting_set_status(span.set_status)  # type: ignore[method-assign]


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


def _redacting_set_status(set_status: Callable[..., None]) -> Callable[..., None]:
    def redacting_set_status(status: Any, description: str | None = None) -> None:
        if isinstance(status, Status) and status.description:
            status = Status(status.status_code, redact_text(status.description))
        if description:
            description = redact_text(description)
        set_status(status, description)

    return redacting_set_status
