"""The SpanExporter behind the ObservabilityExport JSON file.

Finished spans are only buffered here (a list append under a lock): the
conversion to events happens at flush time, off the instrumented call's path.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from .. import attributes as A

logger = logging.getLogger("aiobs_otel")

DEFAULT_MAX_BUFFERED_SPANS = 100_000
MAX_BUFFER_ENV = "AIOBS_MAX_BUFFERED_SPANS"


@dataclass
class SpanBatch:
    """What one flush takes out of the buffer."""

    spans: list[ReadableSpan]
    bridges: dict[int, int]
    dropped: int = 0
    outside_session: int = 0


def _max_from_env() -> int:
    raw = os.environ.get(MAX_BUFFER_ENV)
    if not raw:
        return DEFAULT_MAX_BUFFERED_SPANS
    try:
        return max(1, int(raw))
    except ValueError:
        logger.warning(
            "aiobs-otel: %s=%r is not a whole number; using %d",
            MAX_BUFFER_ENV,
            raw,
            DEFAULT_MAX_BUFFERED_SPANS,
        )
        return DEFAULT_MAX_BUFFERED_SPANS


class ObservabilityExportSpanExporter(SpanExporter):
    """Buffers our spans until the next flush writes them as ObservabilityExport.

    Spans of other instrumentations are not buffered; only their parent link
    is kept, so events below them can hang from the nearest exported ancestor.
    The buffer is bounded (``max_buffered_spans``, env ``AIOBS_MAX_BUFFERED_SPANS``,
    default 100,000); spans beyond it are dropped, counted and logged.
    """

    # True when a DirectExportProcessor feeds it (spans arrive as they end);
    # False behind a batch processor, which a flush must force first.
    fed_directly = False

    def __init__(
        self,
        *,
        max_buffered_spans: int | None = None,
        on_shutdown: Callable[[ObservabilityExportSpanExporter], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReadableSpan] = []
        self._bridges: dict[int, int] = {}
        self._dropped = 0
        self._outside_session = 0
        self._max = max_buffered_spans or _max_from_env()
        self._on_shutdown = on_shutdown
        self._shut_down = False

    # -- SpanExporter -----------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            for span in spans:
                self.add(span)
        except Exception:  # never raise into the SDK's processors
            logger.warning("aiobs-otel: could not buffer spans", exc_info=True)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        if self._on_shutdown is not None:
            try:
                self._on_shutdown(self)
            except Exception:
                logger.warning("aiobs-otel: writing the export at shutdown failed", exc_info=True)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # -- buffer -------------------------------------------------------------------
    def add(self, span: ReadableSpan) -> None:
        scope = span.instrumentation_scope
        ours = scope is not None and scope.name.startswith(A.SCOPE_PREFIX)
        if ours and A.SESSION_ID not in (span.attributes or {}):
            # Not part of any session, so never in an export: counting it is
            # enough (a service between sessions must not fill the buffer).
            with self._lock:
                self._outside_session += 1
            return
        with self._lock:
            if ours:
                if len(self._spans) < self._max:
                    self._spans.append(span)
                    return
                self._dropped += 1
                first_drop = self._dropped == 1
            else:
                if span.parent is not None and span.context is not None:
                    self._bridges[span.context.span_id] = span.parent.span_id
                    if len(self._bridges) > self._max:
                        del self._bridges[next(iter(self._bridges))]
                return
        if first_drop:
            logger.warning(
                "aiobs-otel: the export buffer holds %d spans; further spans are dropped "
                "until the next flush (raise %s or flush more often)",
                self._max,
                MAX_BUFFER_ENV,
            )

    def drain(self) -> SpanBatch:
        """Take everything buffered (the bridges stay: later spans may need them)."""
        with self._lock:
            batch = SpanBatch(
                self._spans, dict(self._bridges), self._dropped, self._outside_session
            )
            self._spans = []
            self._dropped = 0
            self._outside_session = 0
        return batch

    def restore(self, batch: SpanBatch) -> None:
        """Put a batch back in front (a flush that could not write), within the cap."""
        with self._lock:
            merged = batch.spans + self._spans
            overflow = max(0, len(merged) - self._max)
            self._spans = merged[: self._max]
            self._dropped += batch.dropped + overflow
            self._outside_session += batch.outside_session

    def clear(self) -> None:
        with self._lock:
            self._spans = []
            self._bridges = {}
            self._dropped = 0
            self._outside_session = 0

    @property
    def buffered(self) -> int:
        return len(self._spans)


class DirectExportProcessor(SpanProcessor):
    """Hands each finished span straight to the exporter: buffering is cheap,
    so a batch processor's queue and thread would only add cost."""

    def __init__(self, exporter: ObservabilityExportSpanExporter) -> None:
        self.exporter = exporter
        exporter.fed_directly = True

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        # export() never raises: the SDK calls on_end inside the user's call.
        self.exporter.export((span,))

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
