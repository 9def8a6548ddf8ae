"""The sink interface for ``observer.flush(exporter=...)``.

Behaviour-compatible with the aiobs SDK's exporters: an exporter receives the
whole ObservabilityExport model and returns an :class:`ExportResult`; a sink
that could not deliver raises :class:`ExportError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any

from .models import ObservabilityExport


class Payload:
    """One flush's document, handed to each sink in turn: the plain dict, and
    the validated model built once, when the first sink asks for it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    @cached_property
    def model(self) -> ObservabilityExport:
        return ObservabilityExport.model_validate(self.document)


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
