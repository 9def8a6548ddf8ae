"""The sink interface for ``observer.flush(exporter=...)``.

Behaviour-compatible with the aiobs SDK's exporters: an exporter receives the
whole ObservabilityExport model and returns an :class:`ExportResult`; a sink
that could not deliver raises :class:`ExportError`.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from functools import cached_property
from typing import IO, Any

from .encoding import json_bytes
from .models import ObservabilityExport
from .source import ExportSource


class Payload:
    """One flush's export, handed to each sink in turn. Built lazily: the file
    sink streams it (``write_json``) without ever holding the whole document;
    a sink that takes the dict or the validated model (``document``,
    ``model``) gets them built once, when it first asks.

    ``Payload(document)`` wraps a document that exists already.
    """

    def __init__(self, document: dict[str, Any] | None = None, *,
                 source: ExportSource | None = None) -> None:  # fmt: skip
        if (document is None) == (source is None):
            raise ValueError("a Payload takes a document or a source")
        self._document = document
        self.source = source
        self.written_path: str | None = None  # the file a sink wrote it to, if any
        self._streamed_events: int | None = None

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            assert self.source is not None
            self._document = self.source.document()
        return self._document

    @cached_property
    def model(self) -> ObservabilityExport:
        return ObservabilityExport.model_validate(self.document)

    @property
    def sessions(self) -> list[dict[str, Any]]:
        if self.source is not None:
            return self.source.sessions
        return list(self.document.get("sessions") or [])

    @property
    def event_count(self) -> int:
        if self._document is None and self._streamed_events is not None:
            return self._streamed_events
        document = self.document
        return len(document.get("events") or []) + len(document.get("function_events") or [])

    def write_json(self, handle: IO[bytes], *, pretty_limit: int) -> int:
        """Write the export to ``handle`` (a file opened for reading and
        writing); returns the bytes written. Up to ``pretty_limit`` events it
        is indented for people who open it; larger, written compact as a
        stream (memory stays flat)."""
        source = self.source
        if source is None or self._document is not None or source.event_estimate <= pretty_limit:
            document = self.document
            events = len(document.get("events") or ()) + len(document.get("function_events") or ())
            data = json_bytes(document, indent=2 if events <= pretty_limit else None)
            handle.write(data)
            return len(data)
        written, self._streamed_events = source.stream(handle)
        return written

    def compact_bytes(self) -> bytes:
        """The export as compact JSON bytes (an upload's body): the file a sink
        wrote, when there is one, else encoded here."""
        if self.written_path is not None:
            with open(self.written_path, "rb") as handle:
                return handle.read()
        if self.source is None or self._document is not None:
            return json_bytes(self.document, indent=None)
        buffer = io.BytesIO()
        _, self._streamed_events = self.source.stream(buffer)
        return buffer.getvalue()


class ExportResult:
    """What one export did.

    Attributes:
        success: whether the data reached the destination.
        destination: where it went (a URI, a path, a table...), when known.
        bytes_written: payload size, when the sink knows it.
        metadata: anything else the sink wants to report (never ``None``).
        error: a message when ``success`` is false.
    """

    def __init__(
        self,
        success: bool,
        destination: str | None = None,
        bytes_written: int | None = None,
        metadata: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        self.success = success
        self.destination = destination
        self.bytes_written = bytes_written
        self.metadata: dict[str, Any] = metadata or {}
        self.error = error

    def __repr__(self) -> str:
        if self.success:
            return (
                f"ExportResult(success=True, destination={self.destination!r}, "
                f"bytes={self.bytes_written})"
            )
        return f"ExportResult(success=False, error={self.error!r})"


class ExportError(Exception):
    """An export failed; ``cause`` is the underlying exception, if any."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class BaseExporter(ABC):
    """Base class of the sinks ``observer.flush(exporter=...)`` accepts.

    Usage::

        class PrintExporter(BaseExporter):
            name = "print"

            def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
                print(data.model_dump_json())
                return ExportResult(success=True, destination="stdout")

        observer.flush(exporter=PrintExporter())

    ``flush`` passes its extra keyword arguments through to ``export``.
    """

    name: str = "base"

    @abstractmethod
    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        """Deliver ``data``; raise :class:`ExportError` when it cannot."""
        raise NotImplementedError

    def export_payload(self, payload: Payload, **kwargs: Any) -> ExportResult:
        """What ``flush()`` calls: ``export`` with the validated model. Sinks
        that write the plain document (the file) override it and skip the model."""
        return self.export(payload.model, **kwargs)

    def validate(self, data: ObservabilityExport) -> bool:
        """Check ``data`` before export: return True, or raise ExportError.
        Empty exports are valid (there is simply nothing to deliver)."""
        return True
