"""The sink interface for ``observer.flush(exporter=...)``.

Behaviour-compatible with the aiobs SDK's exporters: an exporter receives the
whole ObservabilityExport model and returns an :class:`ExportResult`; a sink
that could not deliver raises :class:`ExportError`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from .models import ObservabilityExport


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

    def validate(self, data: ObservabilityExport) -> bool:
        """Check ``data`` before export: return True, or raise ExportError.
        Empty exports are valid (there is simply nothing to deliver)."""
        return True
