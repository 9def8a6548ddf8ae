"""What a stand-in route answers: JSON, raw bytes, or a server-sent-event stream."""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# "error-429", "gpt-4o-error-500", "models/error-400": answer with that status.
_ERROR_MODEL = re.compile(r"(?:^|[-/])error-(\d{3})(?:$|[-/])")


def injected_status(model: str) -> int | None:
    """The HTTP status a model name asks for (``error-429`` → 429), if any."""
    match = _ERROR_MODEL.search(model or "")
    if match is None:
        return None
    status = int(match.group(1))
    return status if 400 <= status <= 599 else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """JSON-able body (ignored when ``raw`` or ``events`` is set)."""
    raw: bytes | None = None
    events: Iterable[Any] | None = None
    """Server-sent events: each item is one ``data:`` payload (JSON-able or str)."""
    named_events: bool = False
    """Precede each event's data with ``event: <its "type">``, as the Responses API does."""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def encoded_body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body).encode("utf-8")

    def sse_frames(self) -> Iterator[bytes]:
        for event in self.events or ():
            data = event if isinstance(event, str) else json.dumps(event)
            name = event.get("type") if self.named_events and isinstance(event, dict) else None
            head = f"event: {name}\n" if name else ""
            yield f"{head}data: {data}\n\n".encode()


class Ids:
    """Sequential, readable ids (``chatcmpl-standin-000001``) per server."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}-standin-{next(self._counter):06d}"
