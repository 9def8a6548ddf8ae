"""The file sink: the export written atomically, as JSON any parser reads.

A crash never leaves half a file behind (temp file + rename); the file gets
the permissions the umask gives any new file (0644 under umask 022); temp
files a killed flush left behind are removed by the next flush to that
directory. NaN and infinities are written as the strings ``"NaN"``,
``"Infinity"``, ``"-Infinity"``; lone surrogates as U+FFFD.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import tempfile
import time
from typing import Any

from ..values import finite_or_text, safe_json_text
from .base import BaseExporter, ExportError, ExportResult, Payload

# Exports up to this many events are indented for people who open them; larger
# ones are written compact, about three times faster and a third smaller.
PRETTY_EVENT_LIMIT = 1000
_TEMP_PREFIX = ".aiobs-"
_TEMP_SUFFIX = ".json.tmp"
_STALE_SECONDS = 600  # a temp file of unknown owner older than this is a crash's leftover


def json_bytes(document: Any, *, indent: int | None = 2) -> bytes:
    """UTF-8 JSON of an export, valid for any parser (see the module doc)."""
    try:
        text = json.dumps(document, ensure_ascii=False, indent=indent, allow_nan=False,
                          default=str)  # fmt: skip
    except ValueError:  # NaN or an infinity somewhere: replace them, then write
        text = json.dumps(_finite(document), ensure_ascii=False, indent=indent, default=str)
    return safe_json_text(text).encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else finite_or_text(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


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


def write_json_atomic(path: str, document: Any) -> int:
    """Write ``document`` to ``path`` through a temp file and a rename; return
    the bytes written. Raises ``OSError`` (with the path) when it cannot."""
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    _remove_stale_temp_files(directory)
    events = len(document.get("events", ())) + len(document.get("function_events", ()))
    data = json_bytes(document, indent=2 if events <= PRETTY_EVENT_LIMIT else None)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=_TEMP_SUFFIX, dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return len(data)


class FileExporter(BaseExporter):
    """The default sink of ``flush()``: the export as a JSON file at ``path``."""

    name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def export_payload(self, payload: Payload, **kwargs: Any) -> ExportResult:
        try:
            written = write_json_atomic(self.path, payload.document)
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
