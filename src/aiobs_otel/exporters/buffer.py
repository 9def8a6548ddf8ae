"""The export buffer: what the next flush writes.

It holds the records of our finished spans (see ``aiobs_otel.records``) and the
parent links of other instrumentations' spans (``bridges``), both bounded:
``max_buffered_spans`` (env ``AIOBS_MAX_BUFFERED_SPANS``, default 100,000).
Records beyond it are dropped, counted and logged; a flush reports the count.
Adding is a list append under a lock: the conversion to events happens at
flush time, off the instrumented call's path.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from .. import env
from ..records import SpanRecord

logger = logging.getLogger("aiobs_otel")

DEFAULT_MAX_BUFFERED_SPANS = 100_000
MAX_BUFFER_ENV = "AIOBS_MAX_BUFFERED_SPANS"


@dataclass
class Batch:
    """What one flush takes out of the buffer."""

    records: list[SpanRecord]
    bridges: dict[int, int] = field(default_factory=dict)
    dropped: int = 0
    # remote parent span id -> trace id: spans of this process whose parent is
    # in another service (the export names the traces it continues)
    remote_parents: dict[int, int] = field(default_factory=dict)


def max_from_env() -> int:
    return env.number(MAX_BUFFER_ENV, DEFAULT_MAX_BUFFERED_SPANS, minimum=1, maximum=10**9)


class ExportBuffer:
    """Records and bridges for the next flush (thread-safe, bounded)."""

    def __init__(self, *, max_buffered_spans: int | None = None) -> None:
        self._lock = threading.Lock()
        self._records: list[SpanRecord] = []
        self._bridges: dict[int, int] = {}
        self._remote_parents: dict[int, int] = {}
        self._dropped = 0
        self.max = max_buffered_spans or max_from_env()

    def add(self, record: SpanRecord) -> None:
        with self._lock:
            if len(self._records) < self.max:
                self._records.append(record)
                return
            self._dropped += 1
            first_drop = self._dropped == 1
        if first_drop:
            logger.warning(
                "aiobs-otel: the export buffer holds %d spans; further spans are dropped "
                "until the next flush (raise %s or flush more often)",
                self.max,
                MAX_BUFFER_ENV,
            )

    def bridge(self, span_id: int, parent_id: int, remote_trace_id: int | None = None) -> None:
        """Remember that a span that leaves no record, ``span_id``, hangs below
        ``parent_id`` (in another process when ``remote_trace_id`` is given)."""
        with self._lock:
            self._bridges[span_id] = parent_id
            if len(self._bridges) > self.max:
                del self._bridges[next(iter(self._bridges))]
            if remote_trace_id is not None:
                self._remote_parents[parent_id] = remote_trace_id

    def drain(self) -> Batch:
        """Take every record (the bridges stay: later spans may need them)."""
        with self._lock:
            batch = Batch(self._records, dict(self._bridges), self._dropped,
                          self._remote_parents)  # fmt: skip
            self._records = []
            self._dropped = 0
            self._remote_parents = {}
        return batch

    def restore(self, batch: Batch) -> None:
        """Put a batch back in front (a flush that could not deliver), within the cap."""
        with self._lock:
            merged = batch.records + self._records
            overflow = max(0, len(merged) - self.max)
            self._records = merged[: self.max]
            self._dropped += batch.dropped + overflow
            self._remote_parents = {**batch.remote_parents, **self._remote_parents}

    def recent(self) -> list[SpanRecord]:
        """A copy of what is buffered (oldest first), for lookups by span id."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records = []
            self._bridges = {}
            self._remote_parents = {}
            self._dropped = 0

    @property
    def buffered(self) -> int:
        return len(self._records)
