"""Sinks built from user code: a handler function, or several exporters in a row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import BaseExporter, ExportError, ExportResult
from .models import ObservabilityExport

ExportHandler = Callable[
    [ObservabilityExport, dict[str, Any]], ExportResult | dict[str, Any] | None
]
"""``handler(data, options)`` returning an ExportResult, a dict, or None."""


class CustomExporter(BaseExporter):
    """Export with your own function.

    Usage::

        def to_my_api(data, options):
            response = httpx.post(options["url"], json=data.model_dump(mode="json"))
            response.raise_for_status()
            return {"destination": options["url"], "metadata": {"status": response.status_code}}

        exporter = CustomExporter(to_my_api, default_options={"url": "https://example.test/t"})
        observer.flush(exporter=exporter)

    The handler gets the ObservabilityExport and the options (``default_options``
    overridden by the keyword arguments given to ``flush``). It returns None
    (success), a dict (``success``, ``destination``, ``bytes_written``,
    ``metadata``, ``error`` keys, all optional) or an ExportResult. Anything it
    raises becomes an :class:`ExportError` whose ``cause`` is the original.
    """

    name: str = "custom"

    def __init__(
        self,
        handler: ExportHandler,
        name: str | None = None,
        default_options: dict[str, Any] | None = None,
    ) -> None:
        if not callable(handler):
            raise ValueError("handler must be a callable: handler(data, options)")
        self._handler = handler
        if name:
            self.name = name
        self._default_options = dict(default_options or {})

    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        self.validate(data)
        options = {**self._default_options, **kwargs}
        try:
            returned = self._handler(data, options)
        except Exception as exc:
            raise ExportError(
                f"Custom export handler failed: {exc} (exporter {self.name!r})", exc
            ) from exc
        return self._as_result(returned)

    def _as_result(self, returned: object) -> ExportResult:
        if returned is None:
            return ExportResult(success=True, metadata={"handler": self.name})
        if isinstance(returned, ExportResult):
            return returned
        if isinstance(returned, dict):
            return ExportResult(
                success=bool(returned.get("success", True)),
                destination=returned.get("destination"),
                bytes_written=returned.get("bytes_written"),
                metadata=returned.get("metadata") or {},
                error=returned.get("error"),
            )
        # Any other value is kept for the caller to inspect, as aiobs does.
        return ExportResult(success=True, metadata={"handler": self.name, "result": str(returned)})


class CompositeExporter(BaseExporter):
    """Export to several sinks in order, e.g. GCS and your own API.

    Usage::

        exporter = CompositeExporter([GCSExporter(bucket="traces"), CustomExporter(to_my_api)])
        result = observer.flush(exporter=exporter)
        result.metadata["results"]  # one entry per exporter

    A failing sink is recorded in the result (``success`` false, ``error``
    naming it) and the next sink still runs; with ``stop_on_error=True`` the
    first failure is raised as :class:`ExportError` instead.
    """

    name: str = "composite"

    def __init__(self, exporters: Sequence[BaseExporter], stop_on_error: bool = False) -> None:
        if not exporters:
            raise ValueError("At least one exporter is required (CompositeExporter)")
        self._exporters = list(exporters)
        self._stop_on_error = stop_on_error

    def add(self, exporter: BaseExporter) -> CompositeExporter:
        """Append one more sink; returns self for chaining."""
        self._exporters.append(exporter)
        return self

    @property
    def exporters(self) -> list[BaseExporter]:
        return list(self._exporters)

    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        self.validate(data)
        results: list[dict[str, Any]] = []
        errors: list[str] = []
        for exporter in self._exporters:
            label = getattr(exporter, "name", type(exporter).__name__)
            try:
                result = exporter.export(data, **kwargs)
            except Exception as exc:
                error = exc if isinstance(exc, ExportError) else ExportError(str(exc), exc)
                errors.append(f"{label}: {error}")
                results.append({"exporter": label, "success": False, "error": str(error)})
                if self._stop_on_error:
                    if error is exc:
                        raise
                    raise error from exc
                continue
            results.append(
                {
                    "exporter": label,
                    "success": result.success,
                    "destination": result.destination,
                    "bytes_written": result.bytes_written,
                    "metadata": result.metadata,
                    "error": result.error,
                }
            )
            if not result.success:
                errors.append(f"{label}: {result.error or 'failed'}")
        return ExportResult(
            success=not errors,
            metadata={"exporters_count": len(self._exporters), "results": results},
            error="; ".join(errors) if errors else None,
        )
