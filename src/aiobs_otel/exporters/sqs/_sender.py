"""The SQS workers: batches out of the queue, SendMessageBatch with bounded,
jittered retries, and the spill file for whatever SQS does not take.

While SQS is failing (a batch used up its retries) the workers stop waiting
on it: every batch goes straight to the spill file, so traces reach the disk
quickly, and one batch at a time probes SQS (1 s, then doubling up to 10 s).
When a send succeeds again the spill files are replayed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import (  # the keys every contrib instrumentation checks
    _SUPPRESS_HTTP_INSTRUMENTATION_KEY,
    _SUPPRESS_INSTRUMENTATION_KEY,
)

from ._client import BAD_MESSAGE, PERMANENT, error_code
from ._config import SQSConfig
from ._queue import MessageQueue, Outgoing, Stats
from ._spill import SpillWriter

logger = logging.getLogger("aiobs_otel")

PROBE_FIRST = 1.0
PROBE_MAX = 10.0


def suppress_instrumentation() -> object:
    """Our own SQS calls must not become spans (they would be streamed in turn)."""
    ctx = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True)
    ctx = otel_context.set_value(_SUPPRESS_HTTP_INSTRUMENTATION_KEY, True, ctx)
    return otel_context.attach(ctx)


class Health:
    """Up, or down since a failure with the time of the next probe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False
        self._probing = False
        self._interval = PROBE_FIRST
        self._next_probe = 0.0

    def admit(self) -> tuple[bool, bool]:
        """(may send, is a probe)."""
        with self._lock:
            if not self.down:
                return True, False
            if not self._probing and time.monotonic() >= self._next_probe:
                self._probing = True
                return True, True
            return False, False

    def release_probe(self) -> None:
        """Give the probe slot back unused (nothing to probe with)."""
        with self._lock:
            self._probing = False

    def succeeded(self) -> bool:
        """Record a success; True when it ends an outage."""
        with self._lock:
            recovered = self.down
            self.down = self._probing = False
            self._interval = PROBE_FIRST
            return recovered

    def failed(self, probe: bool) -> bool:
        """Record a batch that used up its retries; True when it starts an outage."""
        with self._lock:
            started = not self.down
            if probe:
                self._interval = min(self._interval * 2, PROBE_MAX)
            self.down, self._probing = True, False
            self._next_probe = time.monotonic() + self._interval
            return started


class Sender:
    def __init__(
        self,
        config: SQSConfig,
        queue: MessageQueue,
        spill: SpillWriter,
        stats: Stats,
        *,
        client_factory: Callable[[], Any],
        on_recovered: Callable[[], None],
    ) -> None:
        self._config = config
        self._queue = queue
        self._spill = spill
        self._stats = stats
        self._client_factory = client_factory
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._on_recovered = on_recovered
        self.health = Health()
        self.stop = threading.Event()  # set at the shutdown deadline: no more waiting
        self._threads: list[threading.Thread] = []
        self._in_flight: dict[int, Sequence[Outgoing]] = {}
        self._in_flight_lock = threading.Lock()
        self._logged_codes: set[str] = set()

    def start(self) -> None:
        for number in range(self._config.workers):
            thread = threading.Thread(
                target=self._work, name=f"aiobs-otel-sqs-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def join(self, deadline: float) -> None:
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def in_flight(self) -> list[Outgoing]:
        with self._in_flight_lock:
            return [item for batch in self._in_flight.values() for item in batch]

    # -- the worker loop ------------------------------------------------------
    def _work(self) -> None:
        suppress_instrumentation()
        config = self._config
        while True:
            batch = self._queue.take_batch(config.batch_size, config.batch_max_bytes,
                                           config.batch_timeout)  # fmt: skip
            if batch is None:
                return
            ident = threading.get_ident()
            with self._in_flight_lock:
                self._in_flight[ident] = batch
            try:
                self.deliver(batch)
            except Exception:
                self._stats.add("internal_errors")
                logger.exception(
                    "aiobs-otel: internal error in the SQS worker; the batch is spilled"
                )
                self._spill.write([item for item in batch if not item.done])
                self.health.release_probe()  # if this batch was the probe
            finally:
                with self._in_flight_lock:
                    self._in_flight.pop(ident, None)
                self._queue.done(len(batch))

    def deliver(self, batch: Sequence[Outgoing]) -> None:
        """Send ``batch``, or spill what SQS does not take."""
        allowed, probe = self.health.admit()
        if not allowed or self.stop.is_set():
            self._spill.write(batch)
            return
        left = self.send(batch, attempts=1 if probe else self._config.retry_attempts)
        if left:
            self._spill.write(left)
            if self.health.failed(probe):
                logger.warning("aiobs-otel: SQS queue %s is not taking messages (%s); traces go "
                               "to the spill file until it does", self._config.queue_url,
                               self._last_error)  # fmt: skip
        elif self.health.succeeded():
            logger.warning("aiobs-otel: SQS queue %s takes messages again; re-sending the "
                           "spill", self._config.queue_url)  # fmt: skip
            self._on_recovered()

    _last_error = "no answer"

    def send_first(self, item: Outgoing, *, probe: bool = False) -> bool:
        """Send one message now (a replay's first message, which tells whether SQS
        takes messages); False when it did not (nothing is spilled)."""
        if self.send([item], attempts=1 if probe else self._config.retry_attempts):
            self.health.failed(probe)
            return False
        if self.health.succeeded():
            logger.warning("aiobs-otel: SQS queue %s takes messages again; re-sending the "
                           "spill", self._config.queue_url)  # fmt: skip
        return True

    def send(self, batch: Sequence[Outgoing], *, attempts: int) -> list[Outgoing]:
        """Up to ``attempts`` tries with jittered exponential backoff; returns what
        was neither accepted nor rejected (the caller spills or keeps it)."""
        left = list(batch)
        for attempt in range(attempts):
            left, permanent = self._send_once(left)
            if not left or permanent or attempt == attempts - 1:
                break
            delay = min(self._config.retry_delay * self._config.retry_backoff_multiplier**attempt,
                        self._config.retry_max_delay)  # fmt: skip
            if self.stop.wait(random.uniform(delay / 2, delay)):  # jitter
                break
        return left

    def _send_once(self, batch: list[Outgoing]) -> tuple[list[Outgoing], bool]:
        entries = []
        for index, item in enumerate(batch):
            entry = {"Id": str(index), "MessageBody": item.message.body}
            if self._config.fifo:
                # One group per trace: its messages stay in order, traces flow in parallel.
                entry["MessageGroupId"] = item.message.trace_id or "aiobs-otel"
                entry["MessageDeduplicationId"] = item.message.key
            entries.append(entry)
        try:
            response = self._get_client().send_message_batch(
                QueueUrl=self._config.queue_url, Entries=entries
            )
        except Exception as error:
            code = error_code(error)
            if code in BAD_MESSAGE:
                return self._isolate(batch, code, error), False
            self._last_error = f"{code}: {error}"
            self._stats.add("send_failures")
            self._log_once(code, f"aiobs-otel: sending to SQS failed: {code}: {error}")
            return batch, code in PERMANENT
        retry: list[Outgoing] = []
        failed = {int(f["Id"]): f for f in response.get("Failed") or []}
        accepted = 0
        for index, item in enumerate(batch):
            failure = failed.get(index)
            if failure is None:
                accepted += 1
                self._stats.add("messages_replayed" if item.replayed else "messages_sent")
                item.settled()
            elif failure.get("SenderFault"):
                self._reject(item, str(failure.get("Code")), str(failure.get("Message")))
            else:
                retry.append(item)
        if accepted:
            self._stats.add("batches_sent")
        if retry:
            self._last_error = str(failed[next(iter(failed))].get("Code"))
            self._stats.add("send_failures")
        return retry, False

    def _isolate(self, batch: list[Outgoing], code: str, error: BaseException) -> list[Outgoing]:
        """SQS refused the whole batch for what one message is (too long for the queue's
        MaximumMessageSize, say): send them one by one so that only that one is lost."""
        if len(batch) > 1:
            left: list[Outgoing] = []
            for item in batch:
                left.extend(self._send_once([item])[0])
            return left
        self._reject(batch[0], code, str(error))
        return []

    def _reject(self, item: Outgoing, code: str, message: str) -> None:
        """SQS will never take this message (it says the sender is at fault): dropped,
        counted and logged (retrying or spilling it would loop for ever)."""
        self._stats.add("messages_rejected")
        text = f"aiobs-otel: SQS rejected a trace message ({item.message.size} bytes): "
        self._log_once("rejected:" + code, f"{text}{code}: {message}")
        item.settled()

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def _log_once(self, code: str, text: str) -> None:
        if code not in self._logged_codes:
            self._logged_codes.add(code)
            logger.warning("%s", text)
