"""The spill file: where messages go that SQS did not take, until they are re-sent.

One file per process (``spill-<pid>-<ns>.jsonl`` in the queue's spill
directory), append-only JSON lines, one ``write`` + ``fsync`` per batch, held
under an exclusive ``flock`` while its process lives. A file whose lock can be
taken belongs to a process that is gone (SIGKILL included): the next start
replays it. The file's size is capped; what does not fit is dropped and counted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ._capping import Message
from ._queue import Outgoing, Stats

try:
    import fcntl
except ImportError:  # Windows: no flock; files are then told apart by their pid
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("aiobs_otel")

FORMAT = "aiobs-otel-sqs-spill/1"
_WARN_EVERY = 60.0  # seconds between two "spill file full" warnings


def _record(message: Message) -> str:
    line = {"key": message.key, "trace_id": message.trace_id, "body": message.body}
    return json.dumps(line, separators=(",", ":")) + "\n"


def _lock(handle: IO[str]) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class SpillWriter:
    """Appends messages to this process's spill file (created on first use)."""

    def __init__(self, directory: Path, *, max_bytes: int, queue_url: str, stats: Stats) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.queue_url = queue_url
        self._stats = stats
        self._handle: IO[str] | None = None
        self._path: Path | None = None
        self._size = 0
        self._warned_at = -_WARN_EVERY
        self._dropped = 0
        self._lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        return self._path

    def write(self, items: Sequence[Outgoing]) -> None:
        """Append ``items`` durably (one fsync); each is settled afterwards, whether
        it was written or dropped because the file is full."""
        if not items:
            return
        written = dropped = 0
        try:
            with self._lock:
                handle = self._open()
                lines = []
                for item in items:
                    line = _record(item.message)
                    if self._size + len(line) > self.max_bytes:
                        dropped += 1
                        continue
                    lines.append(line)
                    self._size += len(line)
                if lines:
                    handle.write("".join(lines))
                    handle.flush()
                    os.fsync(handle.fileno())
                    written = len(lines)
        except OSError as error:
            dropped, written = len(items), 0
            logger.error("aiobs-otel: cannot write the SQS spill file in %s: %s; "
                         "%d trace message(s) lost", self.directory, error, len(items))  # fmt: skip
        finally:
            for item in items:
                item.settled()
        self._stats.add("messages_spilled", written)
        if dropped:
            self._stats.add("spill_dropped", dropped)
            self._warn_full(dropped)

    def _open(self) -> IO[str]:
        if self._handle is not None:
            return self._handle
        # Prompts and answers: readable by this user only.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"spill-{os.getpid()}-{time.time_ns()}.jsonl"
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        handle = os.fdopen(descriptor, "a", encoding="utf-8")  # kept open: it holds the lock
        _lock(handle)
        header = {"format": FORMAT, "queue_url": self.queue_url, "pid": os.getpid(),
                  "created_at": time.time()}  # fmt: skip
        text = json.dumps(header, separators=(",", ":")) + "\n"
        handle.write(text)
        self._handle, self._path, self._size = handle, path, len(text)
        logger.warning("aiobs-otel: keeping trace messages SQS has not taken in %s "
                       "(re-sent when SQS takes messages again, or at the next start)",
                       path)  # fmt: skip
        return handle

    def _warn_full(self, dropped: int) -> None:
        with self._lock:
            self._dropped += dropped
            now = time.monotonic()
            if now - self._warned_at < _WARN_EVERY:
                return
            self._warned_at = now
        logger.warning("aiobs-otel: the SQS spill file %s is full (AIOBS_SQS_SPILL_MAX_BYTES=%d); "
                       "%d trace message(s) dropped so far", self._path, self.max_bytes,
                       self._dropped)  # fmt: skip

    def rotate(self) -> Path | None:
        """Close the current file (releasing its lock) so it can be replayed; the next
        write starts a new one. Returns the closed file's path."""
        with self._lock:
            path, handle = self._path, self._handle
            self._handle, self._path, self._size = None, None, 0
        if handle is not None:
            handle.close()
        return path

    def close(self) -> None:
        self.rotate()

    def forget(self) -> None:
        """In a forked child: drop the parent's file (every write was flushed), so
        that its lock is freed once the parent is gone even while the child lives."""
        handle, self._handle, self._path = self._handle, None, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()


class SpillFile:
    """A spill file of a process that is gone, locked by us while we replay it."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    def belongs_to(self, queue_url: str) -> bool:
        """Whether the file is a spill of messages for ``queue_url`` (else it is left alone)."""
        try:
            with open(self.path, encoding="utf-8", errors="replace") as reader:
                header = _parse(reader.readline())
        except OSError:
            return False
        if header is None or header.get("format") != FORMAT:
            logger.warning("aiobs-otel: %s is not an SQS spill file; left alone", self.path)
            return False
        if header.get("queue_url") != queue_url:
            logger.warning("aiobs-otel: %s holds messages for %s; left alone",
                           self.path, header.get("queue_url"))  # fmt: skip
            return False
        return True

    def records(self) -> Iterator[Message]:
        """The file's messages; a torn last line (the process died mid-write) or any
        line that is not a record is skipped and logged."""
        bad = 0
        with open(self.path, encoding="utf-8", errors="replace") as reader:
            reader.readline()  # the header
            for line in reader:
                record = _parse(line)
                if record is None or not isinstance(record.get("body"), str):
                    bad += 1
                    continue
                body = record["body"]
                yield Message(body, str(record.get("key", "")), str(record.get("trace_id", "")),
                              len(body.encode("utf-8")))  # fmt: skip
        if bad:
            logger.warning("aiobs-otel: skipped %d unreadable line(s) of %s", bad, self.path)

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.release()

    def release(self) -> None:
        self._handle.close()


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def replayable(directory: Path, own: Path | None) -> list[SpillFile]:
    """The spill files in ``directory`` whose process is gone (their lock is free),
    oldest first, each now locked by us; never ``own`` (our current file)."""
    try:
        paths = sorted(directory.glob("spill-*.jsonl"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return []
    found = []
    for path in paths:
        if own is not None and path == own:
            continue
        if fcntl is None and _pid_alive(path):
            continue
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115 (held: the lock lives on it)
        except OSError:
            continue
        # Locked and still the same file (not removed by another replayer meanwhile).
        if _lock(handle) and _same_file(path, handle):
            found.append(SpillFile(path, handle))
        else:
            handle.close()
    return found


def _same_file(path: Path, handle: IO[str]) -> bool:
    try:
        return os.path.samestat(os.stat(path), os.fstat(handle.fileno()))
    except OSError:
        return False


def _pid_alive(path: Path) -> bool:
    try:
        pid = int(path.name.split("-")[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
