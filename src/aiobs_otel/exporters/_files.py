"""Atomic JSON writes: a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any


def write_json_atomic(path: str, document: Any) -> int:
    """Write ``document`` to ``path`` through a temp file and a rename; return
    the bytes written. Raises ``OSError`` (with the path) when it cannot."""
    target = os.path.abspath(path)
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    # Lone surrogates in user data would make the UTF-8 encoding fail: escape them
    # (``\udXXX`` is valid JSON), never lose the whole export over one string.
    data = text.encode("utf-8", "backslashreplace")
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
