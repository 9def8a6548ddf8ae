"""A flush's sinks, in order: the file or the user's exporter, then shepherd.

``deliver`` hands the document to one sink; ``report_losses`` logs what the
buffer could not keep. Every sink receives the same ``Payload`` (the plain
document, and its validated model built once, for exporters that take it).
"""

from __future__ import annotations

import logging
from typing import Any

from ..guard import report_internal_error
from ..records import SESSIONS, SpanRecord
from .base import BaseExporter, ExportError, Payload
from .buffer import Batch
from .file import FileExporter

logger = logging.getLogger("aiobs_otel")


def deliver(exporter: Any, payload: Payload, **kwargs: Any) -> Any:
    """Hand the export to one sink. A user exporter's failure reaches the
    caller as ExportError (anything else it raises becomes its ``cause``);
    the file sink's OSError reaches it as is."""
    if isinstance(exporter, FileExporter):
        return exporter.export_payload(payload)
    try:
        if isinstance(exporter, BaseExporter):
            return exporter.export_payload(payload, **kwargs)
        return exporter.export(payload.model, **kwargs)
    except ExportError:
        raise
    except Exception as exc:
        name = getattr(exporter, "name", type(exporter).__name__)
        raise ExportError(f"exporter {name!r} failed: {exc}", exc) from exc


def report_unconvertible(record: SpanRecord) -> None:
    try:
        raise RuntimeError(f"a {type(record).__name__} could not be converted to an event")
    except RuntimeError:
        report_internal_error("the ObservabilityExport conversion")


def report_losses(batch: Batch) -> None:
    if batch.dropped:
        logger.warning(
            "aiobs-otel: %d spans were dropped since the last flush (buffer full); "
            "raise AIOBS_MAX_BUFFERED_SPANS or flush more often",
            batch.dropped,
        )
    outside = SESSIONS.take_outside_count()
    if outside:
        logger.warning(
            "aiobs-otel: %d spans finished outside any observe() session and are not in "
            "this export (they still went to any OTLP backend)",
            outside,
        )
