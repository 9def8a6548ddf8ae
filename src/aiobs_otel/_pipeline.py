"""The OpenTelemetry pipeline behind the observer.

When no SDK ``TracerProvider`` is set, ``observe()`` builds one and makes it
global. When one exists (``opentelemetry-instrument``, or the application's
own setup) we attach to it and never replace it. Either way we add, once per
provider, the processor that stamps session ids and labels on spans, and the
one that feeds the ObservabilityExport buffer.
"""

from __future__ import annotations

import logging
import os
import sys
import weakref
from collections.abc import Callable, Mapping

from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from . import attributes as A
from ._sessions import SpanStamp
from .exporters.json_exporter import DirectExportProcessor, ObservabilityExportSpanExporter

logger = logging.getLogger("aiobs_otel")

StampSource = Callable[[], "SpanStamp | None"]


class SessionSpanProcessor(SpanProcessor):
    """Writes ``session.id`` on every span started in a session, and the session
    labels (``aiobs.label.*``) on local root spans: a Resource cannot change once
    its provider exists, but labels can, so each trace carries the labels that
    were current when it began."""

    def __init__(self, current_stamp: StampSource) -> None:
        self._current_stamp = current_stamp

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if span.attributes and A.SESSION_ID in span.attributes:
            return  # opened for a session already (a Veo poll of an earlier session's call)
        stamp = self._current_stamp()
        parent = span.parent
        local_child = parent is not None and parent.is_valid and not parent.is_remote
        if stamp is None:
            if local_child:
                self._inherit_session(span, parent_context)
            return
        span.set_attributes(stamp.on_every_span if local_child else stamp.on_local_roots)

    @staticmethod
    def _inherit_session(span: Span, parent_context: Context | None) -> None:
        """Between sessions (after end() or flush()), a span started under a span
        of a session still belongs to that session's tree."""
        parent_span = trace.get_current_span(parent_context)
        parent_attributes = getattr(parent_span, "attributes", None)
        if parent_attributes:
            session_id = parent_attributes.get(A.SESSION_ID)
            if session_id is not None:
                span.set_attribute(A.SESSION_ID, session_id)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


# Providers we already attached to (with their JSON exporter and the stamp
# source of the session processor): repeated observe()/reset() adds nothing twice.
_attached: weakref.WeakKeyDictionary[
    TracerProvider, tuple[ObservabilityExportSpanExporter, StampSource]
] = weakref.WeakKeyDictionary()


def default_service_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    stem = os.path.splitext(script)[0]
    return stem if stem and stem not in ("-c", "-m") else "aiobs-otel-app"


def label_attributes(labels: Mapping[str, str]) -> dict[str, str]:
    return {A.AIOBS_LABEL_PREFIX + key: value for key, value in labels.items()}


def build_resource(labels: Mapping[str, str]) -> Resource:
    """``service.name`` (the standard variables win over our default) and the labels."""
    attributes: dict[str, str] = label_attributes(labels)
    if not service_name_configured():
        attributes["service.name"] = default_service_name()
    return Resource.create(attributes)


def service_name_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the standard variables name the service (they win over our default)."""
    return bool(environ.get("OTEL_SERVICE_NAME")) or "service.name=" in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )


def otlp_configured(signal: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether an OTLP endpoint is set for ``signal`` (TRACES, METRICS, LOGS)."""
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )


def _protocol(signal: str) -> str:
    return (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()


def _otlp_span_exporter() -> object:
    if _protocol("TRACES") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter()


def _install_meter_provider(resource: Resource) -> None:
    """GenAI metrics go over OTLP too, when it is configured and nobody set a
    MeterProvider before us."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    if isinstance(metrics.get_meter_provider(), MeterProvider):
        return
    if _protocol("METRICS") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (  # type: ignore[assignment]
            OTLPMetricExporter,
        )
    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


def build_tracer_provider(labels: Mapping[str, str]) -> TracerProvider:
    resource = build_resource(labels)
    provider = TracerProvider(resource=resource)
    if otlp_configured("TRACES"):
        provider.add_span_processor(BatchSpanProcessor(_otlp_span_exporter()))  # type: ignore[arg-type]
    if otlp_configured("METRICS"):
        _install_meter_provider(resource)
    return provider


def ensure_tracer_provider(labels: Mapping[str, str]) -> TracerProvider | None:
    """The global SDK provider, built and installed if there is none yet."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    trace.set_tracer_provider(build_tracer_provider(labels))
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    logger.warning(
        "aiobs-otel: the global tracer provider is %s, not the OpenTelemetry SDK's; "
        "spans cannot be recorded for the JSON export",
        type(current).__name__,
    )
    return None


def attach(
    provider: TracerProvider,
    current_stamp: StampSource,
    exporter: ObservabilityExportSpanExporter | None = None,
) -> ObservabilityExportSpanExporter:
    """Add our two processors to ``provider`` once; return its JSON exporter.

    ``exporter`` is one the caller already feeds through a processor of its own
    (zero-code mode puts it behind a BatchSpanProcessor); otherwise a new one is
    fed directly.
    """
    existing = _attached.get(provider)
    if existing is not None:
        if existing[1] != current_stamp:
            # One session processor per provider: a second Observer would share
            # the first one's buffer while its own sessions stamp nothing.
            logger.warning(
                "aiobs-otel: another Observer is already attached to this TracerProvider; "
                "use the global aiobs_otel.observer, or give each Observer its own "
                "provider (Observer(tracer_provider=...))"
            )
        return existing[0]
    provider.add_span_processor(SessionSpanProcessor(current_stamp))
    if exporter is None:
        exporter = ObservabilityExportSpanExporter()
        provider.add_span_processor(DirectExportProcessor(exporter))
    _attached[provider] = (exporter, current_stamp)
    _stream_to_sqs(provider)
    return exporter


def _stream_to_sqs(provider: TracerProvider) -> None:
    """When ``AWS_SQS_URL`` is set, traces also stream to that queue, as in llmops."""
    from .exporters.sqs import processor_from_env

    processor = processor_from_env()
    if processor is not None:
        provider.add_span_processor(processor)


def attached_exporter(provider: TracerProvider) -> ObservabilityExportSpanExporter | None:
    entry = _attached.get(provider)
    return entry[0] if entry is not None else None
