"""aiobs-otel: the aiobs programming model, on OpenTelemetry.

Usage::

    from aiobs_otel import observer, observe

    @observe
    def research(query: str) -> str: ...

    observer.observe(session_name="pipeline", labels={"environment": "dev"})
    research("What is an API?")
    observer.end()
    observer.flush()  # writes ./<session-id>.json
"""

from .decorators import observe
from .exporters.base import BaseExporter, ExportError, ExportResult
from .exporters.models import (
    Callsite,
    Event,
    FunctionEvent,
    ObservabilityExport,
    ObservedEvent,
    ObservedFunctionEvent,
    Session,
    SessionMeta,
)
from .masking import set_mask
from .observer import Observer
from .providers import BaseProvider
from .version import __version__

observer = Observer()
"""The process-wide observer: ``observer.observe()``, ``end()``, ``flush()``."""

__all__ = [
    "BaseExporter",
    "BaseProvider",
    "Callsite",
    "Event",
    "ExportError",
    "ExportResult",
    "FunctionEvent",
    "ObservabilityExport",
    "ObservedEvent",
    "ObservedFunctionEvent",
    "Observer",
    "Session",
    "SessionMeta",
    "__version__",
    "observe",
    "observer",
    "set_mask",
]
