"""``aiobs_json``: the ObservabilityExport file as an ``OTEL_TRACES_EXPORTER``.

Under ``opentelemetry-instrument`` the SDK builds this exporter (no
arguments) behind a BatchSpanProcessor. The aiobs_otel configurator then
hands it to the process-wide observer, which opens the implicit session;
when the provider shuts down (at interpreter exit) the batch processor
delivers its last spans and this exporter asks the observer for one more
flush: ``LLM_OBS_OUT``, or ``<session-id>.json`` in the working directory.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from .json_exporter import ObservabilityExportSpanExporter

if TYPE_CHECKING:
    from ..observer import Observer

logger = logging.getLogger("aiobs_otel")

_lock = threading.Lock()
_latest: AiobsJsonSpanExporter | None = None


class AiobsJsonSpanExporter(ObservabilityExportSpanExporter):
    """The ``aiobs_json`` traces exporter (entry point group
    ``opentelemetry_traces_exporter``)::

        OTEL_TRACES_EXPORTER=aiobs_json,otlp opentelemetry-instrument python app.py

    It writes nothing by itself: the observer it is attached to (``owner``)
    converts and writes its spans, on ``observer.flush()`` and at shutdown.
    """

    def __init__(self) -> None:
        super().__init__(on_shutdown=_write_at_shutdown)
        self.owner: Observer | None = None
        global _latest
        with _lock:
            _latest = self


def latest_instance() -> AiobsJsonSpanExporter | None:
    """The exporter the SDK built last (one per configured provider)."""
    return _latest


def _write_at_shutdown(exporter: ObservabilityExportSpanExporter) -> None:
    owner = getattr(exporter, "owner", None)
    if owner is None:
        logger.warning(
            "aiobs-otel: the aiobs_json exporter was never attached to the observer "
            "(is OTEL_PYTHON_CONFIGURATOR set to another configurator?); no JSON file written"
        )
        return
    # The batch processor in front of us has handed over its last spans before
    # shutting us down; forcing the provider again would only delay the exit.
    exporter.fed_directly = True
    path = owner._flush_at_shutdown(exporter)
    if path is not None:
        logger.info("aiobs-otel: wrote the ObservabilityExport to %s", path)
