"""Exporters: the ObservabilityExport span exporter, its models and the sinks.

Usage::

    from aiobs_otel import observer
    from aiobs_otel.exporters import CompositeExporter, CustomExporter, GCSExporter

    observer.flush(exporter=GCSExporter(bucket="my-traces", prefix="runs/"))

``GCSExporter`` imports without the ``gcs`` extra and fails only when built.
"""

from .base import BaseExporter, ExportError, ExportResult
from .custom import CompositeExporter, CustomExporter
from .gcs import GCSExporter
from .json_exporter import ObservabilityExportSpanExporter

__all__ = [
    "BaseExporter",
    "CompositeExporter",
    "CustomExporter",
    "ExportError",
    "ExportResult",
    "GCSExporter",
    "ObservabilityExportSpanExporter",
]
