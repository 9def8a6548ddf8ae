"""The bounded queue between the trace assembler and the SQS workers, and the
counters every part of the streamer reports into."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ._capping import Message

Settle = Callable[[], None]


class ReplaySource(Protocol):
    """The spill file a replayed message came from."""

    @property
    def fully_read(self) -> bool: ...

    def abort(self) -> None: ...


@dataclass(eq=False)
class Outgoing:
    """A message on its way. ``settled()`` runs once its fate is final (accepted by
    SQS, written to the spill file, or dropped and counted); ``on_settled`` lets a
    replayed spill file be removed once every one of its messages is settled."""

    message: Message
    on_settled: Settle | None = None
    source: ReplaySource | None = None  # set for messages replayed from a spill file
    done: bool = False

    @property
    def replayed(self) -> bool:
        return self.source is not None

    def settled(self) -> None:
        if not self.done:
            self.done = True
            if self.on_settled is not None:
                self.on_settled()


class Stats:
    """Counters (thread-safe); ``snapshot()`` is what ``SQSSpanExporter.stats()`` returns."""

    NAMES = (
        "spans_received", "spans_dropped", "traces_assembled", "messages_built",
        "messages_truncated", "messages_split", "messages_sent", "batches_sent",
        "send_failures", "messages_rejected", "messages_spilled", "spill_dropped",
        "messages_replayed", "spill_files_replayed", "internal_errors",
    )  # fmt: skip

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(self.NAMES, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)


@dataclass
class MessageQueue:
    """FIFO of messages, bounded in bytes. One worker at a time forms a batch
    (waiting up to the batch timeout for it to fill), so batches come out full
    under load; sending them is parallel."""

    max_bytes: int
    _items: deque[Outgoing] = field(default_factory=deque)
    _bytes: int = 0
    _in_flight: int = 0
    _closed: bool = False
    _urgent: int = 0  # draining (force_flush, shutdown): no waiting for a batch to fill
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _forming: threading.Lock = field(default_factory=threading.Lock)

    def offer(self, item: Outgoing) -> bool:
        """Add without waiting; False when full (the caller spills instead)."""
        with self._cond:
            if self._closed or (self._items and self._bytes + item.message.size > self.max_bytes):
                return False
            self._push(item)
            return True

    def put(self, item: Outgoing, stop: threading.Event) -> bool:
        """Add, waiting for room (the replay's back-pressure); False once ``stop`` is set."""
        with self._cond:
            while self._items and self._bytes + item.message.size > self.max_bytes:
                if stop.is_set() or self._closed:
                    return False
                self._cond.wait(0.1)
            if stop.is_set() or self._closed:
                return False
            self._push(item)
            return True

    def _push(self, item: Outgoing) -> None:
        self._items.append(item)
        self._bytes += item.message.size
        self._cond.notify_all()

    def take_batch(self, max_count: int, max_bytes: int, linger: float) -> list[Outgoing] | None:
        """Up to ``max_count`` messages of at most ``max_bytes`` in total; None when
        the queue is closed and empty (the worker ends)."""
        with self._forming, self._cond:
            while not self._items:
                if self._closed:
                    return None
                self._cond.wait(0.5)
            batch = [self._pop()]
            size = batch[0].message.size
            deadline = time.monotonic() + linger
            while len(batch) < max_count:
                if self._items:
                    if size + self._items[0].message.size > max_bytes:
                        break
                    item = self._pop()
                    batch.append(item)
                    size += item.message.size
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._urgent or self._closed:
                    break
                self._cond.wait(remaining)
            return batch

    def _pop(self) -> Outgoing:
        # Counted in flight as soon as it leaves the queue: waiting for more of the
        # batch releases the lock, and the queue must not look idle meanwhile.
        item = self._items.popleft()
        self._bytes -= item.message.size
        self._in_flight += 1
        self._cond.notify_all()
        return item

    def done(self, count: int) -> None:
        with self._cond:
            self._in_flight -= count
            self._cond.notify_all()

    def set_urgent(self, urgent: bool) -> None:
        """Callers nest (two threads may flush at once): each True needs its False."""
        with self._cond:
            self._urgent += 1 if urgent else -1
            self._cond.notify_all()

    def wait_idle(self, deadline: float) -> bool:
        """Wait until nothing is queued or in flight; False at ``deadline`` (monotonic)."""
        with self._cond:
            while self._items or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.1))
            return True

    def close(self) -> list[Outgoing]:
        """Stop accepting; return what was still queued (the caller spills it)."""
        with self._cond:
            self._closed = True
            left = list(self._items)
            self._items.clear()
            self._bytes = 0
            self._cond.notify_all()
            return left

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
