"""Re-sending spill files: at start (the files of processes that are gone) and
when SQS takes messages again after an outage (this process's own file).

A file is removed only once every message in it is settled: accepted by SQS,
or written again to the current spill file (SQS failed once more). Its first
message is sent directly: if SQS does not take it the file is left as it is
for the next recovery or the next start.
"""

from __future__ import annotations

import logging
import threading

from ._config import SQSConfig
from ._queue import MessageQueue, Outgoing, Stats
from ._sender import Sender, suppress_instrumentation
from ._spill import SpillFile, SpillWriter, replayable

logger = logging.getLogger("aiobs_otel")


class FileProgress:
    """How much of one spill file is settled; removes the file when all of it is."""

    def __init__(self, spill_file: SpillFile, stats: Stats) -> None:
        self._file = spill_file
        self._stats = stats
        self._lock = threading.Lock()
        self._outstanding = 0
        self._read_all = False
        self._finished = False

    @property
    def fully_read(self) -> bool:
        return self._read_all

    def add(self) -> None:
        with self._lock:
            self._outstanding += 1

    def settled_one(self) -> None:
        with self._lock:
            self._outstanding -= 1
        self._maybe_finish()

    def finish_reading(self) -> None:
        with self._lock:
            self._read_all = True
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        with self._lock:
            if self._finished or not self._read_all or self._outstanding:
                return
            self._finished = True
        self._file.remove()
        self._stats.add("spill_files_replayed")

    def abort(self) -> None:
        """Leave the file for later (it still holds every message not read yet)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self._file.release()


class Replayer:
    def __init__(
        self,
        config: SQSConfig,
        queue: MessageQueue,
        sender: Sender,
        spill: SpillWriter,
        stats: Stats,
    ) -> None:
        self._config = config
        self._queue = queue
        self._sender = sender
        self._spill = spill
        self._stats = stats
        self._wanted = threading.Event()
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="aiobs-otel-sqs-replay", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wanted.set()

    def shutdown(self) -> None:
        self.stop.set()
        self._wanted.set()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(max(0.0, timeout))

    def _run(self) -> None:
        suppress_instrumentation()
        while True:
            # While SQS is down, wake every second to take the probe slot when it is due:
            # an idle application sends nothing that could find out SQS is back.
            asked = self._wanted.wait(1.0)
            if self.stop.is_set():
                return
            self._wanted.clear()
            try:
                if asked:
                    self._replay_all(rotate=True)
                elif self._sender.health.admit() == (True, True):
                    try:
                        self._replay_all(rotate=False, probe=True)
                    finally:
                        self._sender.health.release_probe()
            except Exception:
                self._stats.add("internal_errors")
                logger.exception("aiobs-otel: internal error while re-sending the SQS spill")

    def _replay_all(self, *, rotate: bool, probe: bool = False) -> None:
        """Replay the files of gone processes and our own closed ones. ``rotate``: close
        our current file first (at start and when SQS is back); a probe does that only
        when there is no other file to probe with."""
        directory = self._config.resolved_spill_dir()
        if rotate:
            self._spill.rotate()
        files = replayable(directory, self._spill.path)
        if not files and probe and self._spill.path is not None:
            self._spill.rotate()
            files = replayable(directory, None)
        if not files:
            return
        logger.info("aiobs-otel: re-sending %d SQS spill file(s) from %s", len(files), directory)
        for index, spill_file in enumerate(files):
            if self.stop.is_set() or not self._replay(spill_file, probe=probe and index == 0):
                for rest in files[index + 1 :]:
                    rest.release()
                return
        if probe:  # SQS is back: what was spilled meanwhile goes too
            self._replay_all(rotate=True)

    def _replay(self, spill_file: SpillFile, *, probe: bool = False) -> bool:
        if not spill_file.belongs_to(self._config.queue_url):
            spill_file.release()
            return True
        records = spill_file.records()
        first = next(records, None)
        if first is None:
            spill_file.remove()
            return True
        progress = FileProgress(spill_file, self._stats)
        if not self._sender.send_first(Outgoing(first, source=progress), probe=probe):
            progress.abort()
            return False
        for message in records:
            progress.add()
            item = Outgoing(message, on_settled=progress.settled_one, source=progress)
            if not self._queue.put(item, self.stop):
                progress.abort()
                return False
        progress.finish_reading()
        return True
