"""``aiobs_json``: the ObservabilityExport file as an ``OTEL_TRACES_EXPORTER``.

Under ``opentelemetry-instrument`` the SDK builds this exporter (no
arguments) behind a BatchSpanProcessor. Its presence is what asks for the
file: the aiobs_otel configurator then attaches the process-wide observer to
the SDK's provider and opens the implicit session. The spans it is handed
need no work (our spans leave their records with the observer as they end,
see ``aiobs_otel.records``); the observer writes the file at ``flush()`` and
at interpreter exit: ``LLM_OBS_OUT``, or ``<session-id>.json``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

_lock = threading.Lock()
_latest: AiobsJsonSpanExporter | None = None


class AiobsJsonSpanExporter(SpanExporter):
    """The ``aiobs_json`` traces exporter (entry point group
    ``opentelemetry_traces_exporter``)::

        OTEL_TRACES_EXPORTER=aiobs_json,otlp opentelemetry-instrument python app.py
    """

    def __init__(self) -> None:
        global _latest
        with _lock:
            _latest = self

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def latest_instance() -> AiobsJsonSpanExporter | None:
    """The exporter the SDK built last (one per configured provider)."""
    return _latest
