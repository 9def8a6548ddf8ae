"""``SQSSpanExporter``: finished spans in, one llmops-observability message per
trace out to Amazon SQS.

``export()`` only appends the spans to an in-memory inbox: it never touches the
network or the disk. One assembler thread groups them into traces (see
``_grouping``), builds and caps the messages and queues them; the worker threads
send them in batches (``_sender``); the spill file keeps what SQS does not take
(``_spill``) and the replayer re-sends it (``_replay``).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._capping import fit
from ._client import make_client
from ._config import SQSConfig
from ._grouping import ReadyTrace, TraceBuffer
from ._queue import MessageQueue, Outgoing, Stats
from ._replay import Replayer
from ._sender import Sender, suppress_instrumentation
from ._spill import SpillWriter
from ._trace import ProcessDefaults, is_local_root, trace_document

logger = logging.getLogger("aiobs_otel")

QUEUE_MAX_BYTES = 32 * 1024 * 1024  # encoded messages waiting for a worker; beyond: spilled
_IDLE_WAKE = 1.0  # the assembler's longest sleep (seconds)
_WAKE_AT_SPANS = 2048  # a long inbox wakes the assembler early

_live: weakref.WeakSet[SQSSpanExporter] = weakref.WeakSet()


def streaming_to(queue_url: str) -> bool:
    """Whether a live exporter in this process already streams to ``queue_url``."""
    return any(e.config.queue_url == queue_url and not e.is_shut_down for e in list(_live))


def streaming_stats() -> dict[str, dict[str, Any]]:
    """The counters of every live SQS exporter in this process, by queue URL (for a
    health endpoint, or an alert on a growing spill)."""
    return {e.config.queue_url: e.stats() for e in list(_live) if not e.is_shut_down}


class SQSSpanExporter(SpanExporter):
    """Streams finished traces to the SQS queue ``AWS_SQS_URL`` (or ``config``).

    The ``opentelemetry_traces_exporter`` entry point ``aiobs_sqs``::

        OTEL_TRACES_EXPORTER=aiobs_json,aiobs_sqs AWS_SQS_URL=https://sqs... \\
            opentelemetry-instrument python app.py

    ``client``: a boto3 SQS client to use instead of one built from the config.
    ``stats()`` reports what was sent, spilled, replayed and dropped.
    """

    def __init__(
        self,
        config: SQSConfig | None = None,
        *,
        client: Any = None,
        defaults: ProcessDefaults | None = None,
    ) -> None:
        resolved = config or SQSConfig.from_env()
        self._shutdown_lock = threading.Lock()
        self.is_shut_down = resolved is None
        self.stats_counters = Stats()
        if resolved is None:
            logger.error("aiobs-otel: the aiobs_sqs exporter needs AWS_SQS_URL; spans are not "
                         "streamed to SQS")  # fmt: skip
            self.config = SQSConfig(queue_url="")
            return
        self.config = resolved
        self._defaults = defaults or ProcessDefaults.from_env()
        self._client = client
        self._start()
        _live.add(self)

    def _start(self) -> None:
        config = self.config
        self.stats_counters = Stats()  # (a forked child counts its own)
        self._inbox: deque[ReadableSpan] = deque()
        self._room = threading.Condition()
        self._wake = threading.Event()
        # When the assembler wakes by itself (monotonic); infinite while it works, so
        # that what arrives meanwhile makes its next wait return at once.
        self._sleeps_until = math.inf
        self._grace = config.trace_grace_ms / 1000
        self._stopping = threading.Event()
        self._flush_lock = threading.Lock()
        self._flush_requests: list[threading.Event] = []
        self._full_logged = False
        self._buffer = TraceBuffer(grace=config.trace_grace_ms / 1000,
                                   open_timeout=config.open_trace_timeout,
                                   max_spans=config.max_buffered_spans)  # fmt: skip
        self._queue = MessageQueue(QUEUE_MAX_BYTES)
        self._spill = SpillWriter(
            config.resolved_spill_dir(),
            max_bytes=config.spill_max_bytes,
            queue_url=config.queue_url,
            stats=self.stats_counters,
        )
        client = self._client
        self._sender = Sender(config, self._queue, self._spill, self.stats_counters,
                              client_factory=(lambda: client) if client is not None
                              else (lambda: make_client(config)),
                              on_recovered=lambda: self._replayer.request())  # fmt: skip
        self._replayer = Replayer(config, self._queue, self._sender, self._spill,
                                  self.stats_counters)  # fmt: skip
        self._assembler = threading.Thread(target=self._assemble, name="aiobs-otel-sqs-assembler",
                                           daemon=True)  # fmt: skip
        self._assembler.start()
        self._sender.start()
        self._replayer.start()
        self._replayer.request()  # what earlier processes left in the spill directory

    # -- the SpanExporter interface (called on the application's threads) --------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.is_shut_down:
            return SpanExportResult.FAILURE
        limit = self.config.max_buffered_spans
        if len(self._inbox) + len(spans) > limit and not self._wait_for_room(len(spans)):
            self.stats_counters.add("spans_dropped", len(spans))
            if not self._full_logged:
                self._full_logged = True
                logger.warning("aiobs-otel: the SQS streamer is %d spans behind "
                               "(AIOBS_SQS_MAX_BUFFERED_SPANS); spans are dropped and counted",
                               limit)  # fmt: skip
            return SpanExportResult.FAILURE
        self._inbox.extend(spans)
        # A root starts its trace's grace period: wake the assembler only if it would
        # otherwise sleep past it (under load it is already due sooner, and each
        # needless wake-up costs this thread a GIL hand-over).
        if len(self._inbox) >= _WAKE_AT_SPANS or (
            self._sleeps_until > time.monotonic() + self._grace
            and any(is_local_root(s) for s in spans)
        ):
            self._wake.set()
        return SpanExportResult.SUCCESS

    def _wait_for_room(self, count: int) -> bool:
        """Wait at most LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS for the assembler to catch up."""
        self._wake.set()
        deadline = time.monotonic() + self.config.immediate_max_block_ms / 1000
        with self._room:
            while len(self._inbox) + count > self.config.max_buffered_spans:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._room.wait(remaining)
        return True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send every finished span now (traces whose root is still open as partial
        segments) and wait, at most ``timeout_millis``, until SQS or the spill has them."""
        if self.is_shut_down:
            return False
        deadline = time.monotonic() + timeout_millis / 1000
        done = threading.Event()
        with self._flush_lock:
            self._flush_requests.append(done)
        self._wake.set()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            return False
        self._queue.set_urgent(True)
        try:
            return self._queue.wait_idle(deadline)
        finally:
            self._queue.set_urgent(False)

    def shutdown(self, timeout_millis: float | None = None) -> None:
        """Send what is buffered and queued within LLMOPS_SQS_SHUTDOWN_TIMEOUT (or
        ``timeout_millis`` if shorter); what is left goes to the spill file."""
        with self._shutdown_lock:
            if self.is_shut_down:
                return
            self.is_shut_down = True
        budget = self.config.shutdown_timeout
        if timeout_millis is not None:
            budget = min(budget, timeout_millis / 1000)
        deadline = time.monotonic() + budget
        self._replayer.shutdown()
        self._stopping.set()
        self._wake.set()
        self._assembler.join(max(0.0, deadline - time.monotonic()))
        self._queue.set_urgent(True)
        idle = self._queue.wait_idle(deadline)
        self._sender.stop.set()  # retries stop waiting: what they hold is spilled
        left = self._queue.close() + ([] if idle else self._sender.in_flight())
        self._keep([item for item in left if not item.done])
        self._sender.join(time.monotonic() + 0.2)
        self._spill.close()
        _live.discard(self)
        self._report_losses()

    def _report_losses(self) -> None:
        stats = self.stats_counters.snapshot()
        lost = stats["spans_dropped"], stats["spill_dropped"], stats["messages_rejected"]
        if any(lost):
            logger.warning("aiobs-otel: SQS streaming to %s lost data: %d span(s) dropped (the "
                           "streamer was behind), %d trace message(s) dropped (spill file full), "
                           "%d rejected by SQS", self.config.queue_url, *lost)  # fmt: skip

    def _keep(self, items: list[Outgoing]) -> None:
        """Spill what was not sent. A replayed message whose file was not read to the
        end stays only in that file, which is kept for the next start."""
        spill = []
        for item in items:
            if item.source is not None and not item.source.fully_read:
                item.source.abort()
                item.done = True
            else:
                spill.append(item)
        self._spill.write(spill)

    def stats(self) -> dict[str, Any]:
        """Counters since start, and what is in memory and on disk now."""
        snapshot: dict[str, Any] = self.stats_counters.snapshot()
        if self.config.queue_url:
            snapshot["queued_messages"] = len(self._queue)
            snapshot["spill_file"] = str(self._spill.path) if self._spill.path else None
            snapshot["sqs_down"] = self._sender.health.down
        return snapshot

    # -- the assembler thread ---------------------------------------------------
    def _assemble(self) -> None:
        suppress_instrumentation()
        while True:
            timeout = self._next_wake()
            self._sleeps_until = time.monotonic() + timeout
            self._wake.wait(timeout)
            self._sleeps_until = math.inf
            self._wake.clear()
            try:
                self._assemble_once()
            except Exception:  # the assembler must outlive any bug of ours
                self.stats_counters.add("internal_errors")
                logger.exception("aiobs-otel: internal error in the SQS trace assembler")
            if self._stopping.is_set() and not self._inbox:
                return

    def _next_wake(self) -> float:
        due = self._buffer.next_due()
        if due is None:
            return _IDLE_WAKE
        return min(_IDLE_WAKE, max(0.0, due - time.monotonic()))

    def _assemble_once(self) -> None:
        now = time.monotonic()
        drained = 0
        while self._inbox:
            self._buffer.add(self._inbox.popleft(), now)
            drained += 1
        if drained:
            self.stats_counters.add("spans_received", drained)
            with self._room:
                self._room.notify_all()
        with self._flush_lock:
            requests, self._flush_requests = self._flush_requests, []
        everything = bool(requests) or self._stopping.is_set()
        try:
            for ready in self._buffer.take_all() if everything else self._buffer.take_ready(now):
                try:
                    self._emit(ready)
                except Exception:  # one trace we cannot encode must not stop the others
                    self.stats_counters.add("internal_errors")
                    logger.exception("aiobs-otel: internal error building an SQS message; "
                                     "trace %s not sent", _trace_id(ready))  # fmt: skip
        finally:
            for request in requests:
                request.set()

    def _emit(self, ready: ReadyTrace) -> None:
        def build(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
            return trace_document(spans, segment=ready.segment, defaults=self._defaults,
                                  known_name=ready.known_name)  # fmt: skip

        messages = fit(ready.spans, build, self.config.max_message_bytes)
        stats = self.stats_counters
        stats.add("traces_assembled")
        stats.add("messages_built", len(messages))
        stats.add("messages_truncated", sum(1 for m in messages if m.truncated))
        if len(messages) > 1:
            stats.add("messages_split", len(messages))
        for message in messages:
            item = Outgoing(message)
            if not self._queue.offer(item):
                self._spill.write([item])  # the workers are that far behind: keep it on disk


def _trace_id(ready: ReadyTrace) -> str:
    context = ready.spans[0].context if ready.spans else None
    return format(context.trace_id, "032x") if context else "?"


def _restart_in_child() -> None:
    """After ``fork()`` the child has none of the parent's threads: give each live
    exporter fresh ones, an empty memory (the parent sends what it held) and a spill
    file of its own."""
    for exporter in list(_live):
        if not exporter.is_shut_down:
            exporter._spill.forget()
            exporter._start()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_restart_in_child)
