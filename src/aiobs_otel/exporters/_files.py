"""Atomic JSON writes: a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any

# Exports up to this many events are indented for people who open them; larger
# ones are written compact, about three times faster and a third smaller.
PRETTY_EVENT_LIMIT = 1000


def json_bytes(document: Any, *, indent: int | None = 2) -> bytes:
    """UTF-8 JSON of an export. Lone surrogates in user data would make the
    encoding fail: they are escaped (``\\udXXX`` is valid JSON), so one string
    never costs the whole export."""
    text = json.dumps(document, ensure_ascii=False, indent=indent, default=str)
    return text.encode("utf-8", "backslashreplace")


def write_json_atomic(path: str, document: Any) -> int:
    """Write ``document`` to ``path`` through a temp file and a rename; return
    the bytes written. Raises ``OSError`` (with the path) when it cannot."""
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    events = len(document.get("events", ())) + len(document.get("function_events", ()))
    data = json_bytes(document, indent=2 if events <= PRETTY_EVENT_LIMIT else None)
    fd, tmp = tempfile.mkstemp(prefix=".aiobs-", suffix=".json.tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return len(data)
