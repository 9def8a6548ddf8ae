"""Crawl and search sessions (llmops section 6): a session span, pages, events.

``crawl_session(provider=, query=, metadata=)`` (or ``start_crawl_session`` /
``end_crawl_session``) opens a span of kind ``crawl`` and makes it current;
``record_crawl_page`` and ``record_crawl_event`` add child spans (kinds
``crawl_page`` / ``crawl_event``) that already happened: they end now and
started ``latency_ms`` / ``duration_ms`` before. A page fails when it has an
``error`` or a status code of 400 or more, an event when its status is not
``ok`` or it has a ``failure_reason``; failures count, and the session still
ends normally with its counters (``aiobs.crawl.pages_ok``, ``pages_fail``,
``events_total``, ``events_fail``). URLs and query payloads are redacted
(``url_redaction``). Pages and events outside a session hang below the current
span and count nowhere.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

from .. import attributes as A
from .. import kinds
from ..limits import limited_json, span_io_limit
from ..trace_context import checked_metadata, metadata_json
from ..url_redaction import redact_payload, redact_url
from ._spans import OpenSpan, TracingRecord, now_ns, start_attributes

_SESSION_KEY = otel_context.create_key("aiobs-crawl-session")


class CrawlSession:
    """An open crawl session: its counters (``pages_ok``...) and ``end()``."""

    def __init__(self, opened: OpenSpan) -> None:
        self._opened = opened
        self._lock = threading.Lock()
        self.pages_ok = self.pages_fail = self.events_total = self.events_fail = 0
        self.span_id = f"{opened.span.get_span_context().span_id:016x}"

    def count(self, *, page: bool, failed: bool) -> None:
        with self._lock:
            if page:
                if failed:
                    self.pages_fail += 1
                else:
                    self.pages_ok += 1
            else:
                self.events_total += 1
                self.events_fail += failed

    def counters(self) -> dict[str, int]:
        with self._lock:
            return {"pages_ok": self.pages_ok, "pages_fail": self.pages_fail,
                    "events_total": self.events_total, "events_fail": self.events_fail}  # fmt: skip

    def end(self, *, error: BaseException | None = None) -> bool:
        counters = self.counters()
        self._opened.record.output = counters
        attributes = {
            A.AIOBS_CRAWL_PAGES_OK: counters["pages_ok"],
            A.AIOBS_CRAWL_PAGES_FAIL: counters["pages_fail"],
            A.AIOBS_CRAWL_EVENTS_TOTAL: counters["events_total"],
            A.AIOBS_CRAWL_EVENTS_FAIL: counters["events_fail"],
        }
        return self._opened.end(attributes, exception=error)


def _payload_json(query: Any) -> str:
    return limited_json(redact_payload(query), span_io_limit(), redact=False)


def start_crawl_session(
    *, provider: str | None = None, query: Any = None, metadata: Mapping[str, Any] | None = None
) -> CrawlSession:
    """Open a crawl session (see the module doc); ``end_crawl_session()`` ends it."""
    own = checked_metadata(metadata)
    name = f"crawl_session {provider}" if provider else "crawl_session"
    record = TracingRecord(kinds.CRAWL, name, metadata=own or None)
    attributes = start_attributes(kinds.CRAWL, name)
    if provider:
        attributes[A.AIOBS_CRAWL_PROVIDER] = str(provider)
    if own:
        attributes[A.AIOBS_SPAN_METADATA] = metadata_json(own)
    if query is not None:
        text = _payload_json(query)
        attributes[A.AIOBS_CRAWL_QUERY] = text
        record.input = {"provider": provider, "query": json.loads(text)}
    else:
        record.input = {"provider": provider, "query": None}
    opened = OpenSpan(record, attributes)
    session = CrawlSession(opened)
    context = otel_trace.set_span_in_context(opened.span)
    opened.make_current(otel_context.set_value(_SESSION_KEY, session, context))
    return session


def current_crawl_session() -> CrawlSession | None:
    session = otel_context.get_value(_SESSION_KEY)
    return session if isinstance(session, CrawlSession) else None


def end_crawl_session() -> bool:
    """End the current crawl session: ``True``; ``False`` when none is open here."""
    session = current_crawl_session()
    return session.end() if session is not None else False


@contextmanager
def crawl_session(
    *, provider: str | None = None, query: Any = None, metadata: Mapping[str, Any] | None = None
) -> Iterator[CrawlSession]:
    session = start_crawl_session(provider=provider, query=query, metadata=metadata)
    try:
        yield session
    except BaseException as error:
        session.end(error=error)
        raise
    session.end()


def _elapsed(value: Any) -> int:
    """Milliseconds as nanoseconds (0 for anything that is not a number >= 0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return 0
    return int(min(value, 86_400_000) * 1_000_000)


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url[:64]
    except ValueError:
        return url[:64]


def record_crawl_page(
    url: str,
    *,
    query: Any = None,
    status_code: int | None = None,
    latency_ms: float | None = None,
    error: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """One fetched page as a ``crawl_page`` span; returns its span id (hex)."""
    own = checked_metadata(metadata)
    safe_url = redact_url(str(url))
    host = _host(safe_url)
    status = (
        status_code if isinstance(status_code, int) and not isinstance(status_code, bool) else None
    )
    failed = error is not None or (status is not None and status >= 400)
    name = f"crawl_page {host}"
    record = TracingRecord(kinds.CRAWL_PAGE, name, metadata=own or None)
    attributes = start_attributes(kinds.CRAWL_PAGE, name)
    attributes[A.URL_FULL] = safe_url
    attributes[A.AIOBS_CRAWL_STATUS] = "failed" if failed else "ok"
    if status is not None:
        attributes[A.HTTP_RESPONSE_STATUS_CODE] = status
    record.input = {"url": safe_url, "query": None}
    if query is not None:
        text = _payload_json(query)
        attributes[A.AIOBS_CRAWL_QUERY] = text
        record.input["query"] = json.loads(text)
    if own:
        attributes[A.AIOBS_SPAN_METADATA] = metadata_json(own)
    record.output = {"status_code": status, "latency_ms": latency_ms, "status": attributes[
        A.AIOBS_CRAWL_STATUS]}  # fmt: skip
    problem = str(error) if error is not None else (f"HTTP {status}" if failed else None)
    return _record_step(record, attributes, _elapsed(latency_ms), problem, page=True)


def record_crawl_event(
    event_type: str,
    *,
    query: Any = None,
    status: str = "ok",
    failure_reason: str | None = None,
    duration_ms: float | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """One crawl step that is not a page (search request, rerank, parse) as a
    ``crawl_event`` span; returns its span id (hex)."""
    own = checked_metadata(metadata)
    kind_name = str(event_type) if event_type else "event"
    failed = (status or "ok") != "ok" or failure_reason is not None
    name = f"crawl_event {kind_name}"
    record = TracingRecord(kinds.CRAWL_EVENT, name, metadata=own or None)
    attributes = start_attributes(kinds.CRAWL_EVENT, name)
    attributes[A.AIOBS_CRAWL_EVENT_TYPE] = kind_name
    attributes[A.AIOBS_CRAWL_STATUS] = "failed" if failed else "ok"
    if failure_reason is not None:
        attributes[A.AIOBS_CRAWL_FAILURE_REASON] = str(failure_reason)
    record.input = {"event_type": kind_name, "query": None}
    if query is not None:
        text = _payload_json(query)
        attributes[A.AIOBS_CRAWL_QUERY] = text
        record.input["query"] = json.loads(text)
    if own:
        attributes[A.AIOBS_SPAN_METADATA] = metadata_json(own)
    record.output = {"status": status, "failure_reason": failure_reason,
                     "duration_ms": duration_ms}  # fmt: skip
    problem = (
        (str(failure_reason) if failure_reason is not None else f"status {status}")
        if failed
        else None
    )
    return _record_step(record, attributes, _elapsed(duration_ms), problem, page=False)


def _record_step(
    record: TracingRecord, attributes: dict[str, Any], elapsed_ns: int, problem: str | None,
    *, page: bool,
) -> str:  # fmt: skip
    end = now_ns()
    opened = OpenSpan(record, attributes, start_ns=end - elapsed_ns)
    opened.end(error=problem, end_ns=end)
    session = current_crawl_session()
    if session is not None:
        session.count(page=page, failed=problem is not None)
    return f"{opened.span.get_span_context().span_id:016x}"
