"""The background worker: a bounded queue of judgements and daemon threads.

Nothing here blocks the caller: ``submit`` puts a job without waiting (a full
queue refuses it, and the caller counts it as dropped). Each judge call runs in
a daemon thread of its own that the worker waits on for at most the judge's
timeout; a call that hangs past it is abandoned (its thread is left to finish
or die with the process) and at most ``MAX_HUNG`` may hang at once, after which
judgements fail at once instead of piling up threads. ``drain`` waits, within
a bound, for what is queued and running.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger("aiobs_otel.evaluations")
MAX_HUNG = 4
_IDLE_CHECK_S = 5.0  # how often an idle thread checks whether its worker was retired


class Job(Protocol):
    def run(self) -> None: ...

    def abandon(self, reason: str) -> int:
        """Stop the job; return how many of its evaluations never finished."""
        ...


@dataclass(frozen=True, slots=True)
class DrainResult:
    finished: bool
    """Nothing was left queued or running."""
    pending: int
    """Jobs still queued or running when drain returned (0 when cancelled)."""
    abandoned: int
    """Evaluations given up by this drain (only with ``cancel_pending``)."""


class Worker:
    def __init__(self, *, queue_size: int, concurrency: int) -> None:
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=queue_size)
        self._concurrency = concurrency
        self._threads: list[threading.Thread] = []
        self._running: set[Job] = set()
        self._pending = 0  # queued + running
        self._idle = threading.Condition()
        self._hung = 0
        self._hung_lock = threading.Lock()
        self._retired = False

    def submit(self, job: Job) -> bool:
        """Queue ``job`` without waiting; ``False`` when the queue is full (or
        no worker thread can start: the interpreter is exiting)."""
        if len(self._threads) < self._concurrency and not self._start_threads():
            return False
        with self._idle:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                return False
            self._pending += 1
        return True

    def _start_threads(self) -> bool:
        with self._idle:
            while len(self._threads) < self._concurrency:
                name = f"aiobs-otel-judge-{len(self._threads) + 1}"
                thread = threading.Thread(target=self._loop, name=name, daemon=True)
                try:
                    thread.start()
                except RuntimeError:
                    return bool(self._threads)
                self._threads.append(thread)
        return True

    def retire(self) -> None:
        """Finish what is queued, then let the threads end (a newer worker took over)."""
        self._retired = True

    def full(self) -> bool:
        return self._queue.full()

    def _loop(self) -> None:
        while True:
            try:
                job = self._queue.get(timeout=_IDLE_CHECK_S)
            except queue.Empty:
                if self._retired:
                    return
                continue
            with self._idle:
                self._running.add(job)
            try:
                job.run()
            except Exception:  # a bug in a job must not kill the worker
                logger.warning("aiobs-otel: judge job failed", exc_info=True)
            finally:
                with self._idle:
                    if job in self._running:
                        self._running.discard(job)
                        self._pending -= 1
                    self._idle.notify_all()

    @property
    def pending(self) -> int:
        return self._pending

    def drain(self, timeout: float, *, cancel_pending: bool = False) -> DrainResult:
        """Wait up to ``timeout`` seconds for queued and running jobs. With
        ``cancel_pending``, what is left is abandoned (and counted)."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._idle:
            while self._pending > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._idle.wait(remaining)
            if self._pending == 0:
                return DrainResult(finished=True, pending=0, abandoned=0)
            if not cancel_pending:
                return DrainResult(finished=False, pending=self._pending, abandoned=0)
            left = list(self._running)
            self._running.clear()
            while True:
                try:
                    left.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._pending = 0
        abandoned = sum(job.abandon("not finished when drain() gave up") for job in left)
        return DrainResult(finished=False, pending=0, abandoned=abandoned)

    def call_bounded(self, call: Callable[[], Any], timeout: float) -> Any:
        """``call()`` in a daemon thread, waited on for ``timeout`` seconds:
        its result, its exception re-raised, or ``TimeoutError``."""
        with self._hung_lock:
            if self._hung >= MAX_HUNG:
                raise RuntimeError(f"judge unavailable: {self._hung} earlier calls still hang")
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                outcome["value"] = call()
            except BaseException as exc:
                outcome["error"] = exc
            finally:
                with self._hung_lock:  # the same lock decides "late" below
                    done.set()
                    if outcome.get("late"):
                        self._hung -= 1

        thread = threading.Thread(target=target, name="aiobs-otel-judge-call", daemon=True)
        try:
            thread.start()
        except RuntimeError:
            # Python 3.12 starts no thread once the interpreter is exiting (our
            # atexit drain): call inline; drain()'s own deadline still bounds it.
            return call()
        if not done.wait(timeout):
            with self._hung_lock:
                late = not done.is_set()
                if late:
                    outcome["late"] = True
                    self._hung += 1
            if late:
                raise TimeoutError(f"the judge did not answer within {timeout:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")
