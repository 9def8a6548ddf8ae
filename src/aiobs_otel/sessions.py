"""Session records and the attributes stamped on spans started in a session."""

from __future__ import annotations

import os
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from . import attributes as A
from .outgoing import outgoing_attributes

# How many already-flushed sessions we remember, so that a span ending after
# its session was flushed (a stream closed late, a Veo operation polled later)
# still finds its session in the next export.
_ARCHIVE_SIZE = 1000


@dataclass
class SessionRecord:
    id: str
    name: str
    started_at: float
    labels: dict[str, str]
    ended_at: float | None = None
    pid: int = field(default_factory=os.getpid)
    cwd: str = field(default_factory=os.getcwd)

    @classmethod
    def start(cls, name: str | None, labels: dict[str, str]) -> SessionRecord:
        session_id = str(uuid.uuid4())
        return cls(id=session_id, name=name or session_id, started_at=time.time(), labels=labels)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "meta": {"pid": self.pid, "cwd": self.cwd},
            "labels": dict(self.labels) if self.labels else None,
        }


@dataclass(frozen=True)
class SpanStamp:
    """What the session processor writes on each span: prebuilt, immutable
    mappings, replaced (never mutated) when the session or its labels change,
    so the per-span path reads them without a lock."""

    session_id: str
    on_every_span: Mapping[str, str]
    on_local_roots: Mapping[str, str]

    @classmethod
    def for_session(cls, session: SessionRecord) -> SpanStamp:
        every = {A.SESSION_ID: session.id}
        roots = dict(every)
        roots.update({A.AIOBS_LABEL_PREFIX + k: v for k, v in session.labels.items()})
        # label values as they may leave (encodable, masked), once per session
        roots = dict(outgoing_attributes(roots))
        return cls(session.id, MappingProxyType(every), MappingProxyType(roots))


class SessionArchive:
    """Sessions already written by a flush, kept (bounded) for late spans;
    ``on_evict`` hears of each session that no longer fits."""

    def __init__(
        self, size: int = _ARCHIVE_SIZE, on_evict: Callable[[str], None] | None = None
    ) -> None:
        self._size = size
        self._on_evict = on_evict
        self._records: OrderedDict[str, SessionRecord] = OrderedDict()

    def add(self, record: SessionRecord) -> None:
        self._records[record.id] = record
        self._records.move_to_end(record.id)
        while len(self._records) > self._size:
            evicted, _ = self._records.popitem(last=False)
            if self._on_evict is not None:
                self._on_evict(evicted)

    def get(self, session_id: str) -> SessionRecord | None:
        return self._records.get(session_id)

    def clear(self) -> None:
        self._records.clear()
