"""The judge's shared state: the configured judge, its workers, the counters,
and the context flag set inside judge calls."""

from __future__ import annotations

import contextvars
import random
import threading
from dataclasses import dataclass

from ._clients import Ask
from ._worker import Worker

# True inside a judge's call: what it calls is traced, never evaluated.
in_judge: contextvars.ContextVar[bool] = contextvars.ContextVar("aiobs_in_judge", default=False)


@dataclass(frozen=True, slots=True)
class JudgeStats:
    """Counts since start. ``calls`` = ``sampled_out`` + ``no_judge`` + ``dropped``
    + ``queued``; evaluations are counted one per criterion."""

    calls: int
    sampled_out: int
    no_judge: int
    """Sampled calls while no judge was configured."""
    dropped: int
    """Sampled calls refused because the queue was full."""
    queued: int
    evaluations_ok: int
    evaluations_failed: int
    evaluations_abandoned: int
    pending: int
    """Calls queued or being judged now."""


@dataclass(frozen=True, slots=True)
class Judge:
    ask: Ask
    kind: str
    model: str | None
    timeout: float
    worker: Worker


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.judge: Judge | None = None
        self.workers: list[Worker] = []
        self.rng = random.Random()
        self.counts = dict.fromkeys(JudgeStats.__dataclass_fields__, 0)
        self.warned_no_judge = False
        self.warned_full = False
        self.exit_hook = False

    def add(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counts[name] += amount


state = State()
