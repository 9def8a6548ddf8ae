"""Exporters: the export buffer, the document builder, its models and the sinks.

Usage::

    from aiobs_otel import observer
    from aiobs_otel.exporters import CompositeExporter, CustomExporter, GCSExporter

    observer.flush(exporter=GCSExporter(bucket="my-traces", prefix="runs/"))

A flush hands its document to one ordered list of sinks: the file
(``FileExporter``) or your exporter, then ``ShepherdExporter`` when an API key
is set. ``GCSExporter`` imports and builds without the ``gcs`` extra and fails
only when it exports.
"""

from .base import BaseExporter, ExportError, ExportResult
from .custom import CompositeExporter, CustomExporter
from .file import FileExporter
from .gcs import GCSExporter
from .shepherd import ShepherdExporter
from .zero_code import AiobsJsonSpanExporter

__all__ = [
    "AiobsJsonSpanExporter",
    "BaseExporter",
    "CompositeExporter",
    "CustomExporter",
    "ExportError",
    "ExportResult",
    "FileExporter",
    "GCSExporter",
    "ShepherdExporter",
]
