"""Exporters: the ObservabilityExport span exporter, its models and the sinks."""

from .json_exporter import ObservabilityExportSpanExporter

__all__ = ["ObservabilityExportSpanExporter"]
