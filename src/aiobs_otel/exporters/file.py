"""The file sink: the export written atomically, as JSON any parser reads.

A crash never leaves half a file behind (temp file + rename); the file gets
the permissions the umask gives any new file (0644 under umask 022); temp
files a killed flush left behind are removed by the next flush to that
directory. NaN and infinities are written as the strings ``"NaN"``,
``"Infinity"``, ``"-Infinity"``; lone surrogates as U+FFFD. A large export is
written as a stream (``stream``): memory stays flat during the flush.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from typing import Any

from .base import BaseExporter, ExportError, ExportResult, Payload

# Exports up to this many events are indented for people who open them; larger
# ones are written compact, about three times faster and a third smaller.
PRETTY_EVENT_LIMIT = 1000
_TEMP_PREFIX = ".aiobs-"
_TEMP_SUFFIX = ".json.tmp"
_STALE_SECONDS = 600  # a temp file of unknown owner older than this is a crash's leftover
_WRITE_BUFFER = 1 << 20


def _umask() -> int:
    """The process's umask, read without changing it (Linux), else the usual 022."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _remove_stale_temp_files(directory: str) -> None:
    """Temp files of flushes that were killed: their process is gone (or, for
    a name without a pid, they are old)."""
    for path in glob.glob(os.path.join(glob.escape(directory), _TEMP_PREFIX + "*" + _TEMP_SUFFIX)):
        name = os.path.basename(path)[len(_TEMP_PREFIX) :]
        pid_text = name.split("-", 1)[0]
        try:
            if pid_text.isdigit():
                pid = int(pid_text)
                if pid == os.getpid() or _alive(pid):
                    continue
            elif time.time() - os.path.getmtime(path) < _STALE_SECONDS:
                continue
            os.unlink(path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json_atomic(path: str, document: dict[str, Any] | Payload) -> int:
    """Write the export to ``path`` through a temp file and a rename; return
    the bytes written. Raises ``OSError`` (with the path) when it cannot."""
    payload = document if isinstance(document, Payload) else Payload(document)
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    _remove_stale_temp_files(directory)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=_TEMP_SUFFIX, dir=directory
    )
    try:
        # Read and write: the stream reads events back to write the trace tree.
        with os.fdopen(fd, "w+b", buffering=_WRITE_BUFFER) as handle:
            written = payload.write_json(handle, pretty_limit=PRETTY_EVENT_LIMIT)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    payload.written_path = target
    return written


class FileExporter(BaseExporter):
    """The default sink of ``flush()``: the export as a JSON file at ``path``."""

    name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def export_payload(self, payload: Payload, **kwargs: Any) -> ExportResult:
        try:
            written = write_json_atomic(self.path, payload)
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot write the export to {self.path!r}: {exc.strerror or exc}"
            ) from exc
        return ExportResult(success=True, destination=self.path, bytes_written=written)

    def export(self, data: Any, **kwargs: Any) -> ExportResult:
        try:
            return self.export_payload(Payload(data.model_dump()), **kwargs)
        except OSError as exc:
            raise ExportError(str(exc), exc) from exc
