"""One flush's export before it is written: the records, indexed, and the sessions.

``ExportSource`` writes the export in either form, each built only when a
sink asks for it: streamed event by event (the file: memory stays flat
however many spans were buffered), or as the whole document dict (exporters
that take the ``ObservabilityExport`` model).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from .conversion import ErrorHook, ExportIndex
from .document import assemble, convert_index
from .stream import write_export

Transform = Callable[[Any], Any]


@dataclass
class ExportSource:
    index: ExportIndex
    sessions: list[dict[str, Any]]
    include_trace_tree: bool
    generated_at: float
    on_error: ErrorHook | None = None
    transform: Transform | None = None  # every string masked (set_mask), else None

    @property
    def event_estimate(self) -> int:
        """The events the export will hold (before conversion; a record that
        fails to convert is left out later)."""
        return sum(1 for record in self.index.records if self.index.takes_part(record))

    def document(self) -> dict[str, Any]:
        conversion = convert_index(self.index, self.on_error)
        document = assemble(conversion, self.sessions, include_trace_tree=self.include_trace_tree,
                            generated_at=self.generated_at)  # fmt: skip
        return document if self.transform is None else self.transform(document)

    def stream(self, handle: IO[bytes]) -> tuple[int, int]:
        """Write the export to ``handle``; returns (bytes, events)."""
        return write_export(handle, self.index, self.sessions,
                            include_trace_tree=self.include_trace_tree,
                            generated_at=self.generated_at, on_error=self.on_error,
                            transform=self.transform)  # fmt: skip
