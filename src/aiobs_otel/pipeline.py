"""The OpenTelemetry pipeline behind the observer.

When no SDK ``TracerProvider`` is set, ``observe()`` builds one and makes it
global, honouring the standard switches: ``OTEL_SDK_DISABLED=true`` (nothing
is recorded), ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (``otlp``,
``console``, ``none``; unset: OTLP once an endpoint is configured) and the
``OTEL_EXPORTER_OTLP_*`` variables. When a provider exists
(``opentelemetry-instrument``, or the application's own setup) we attach to
it and never replace it. Either way we add, once per provider, the processor
that stamps sessions on spans (and, when wanted, SQS streaming and Langfuse).
"""

from __future__ import annotations

import logging
import os
import sys
import weakref
from collections.abc import Mapping

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from . import attributes as A
from .outgoing import outgoing_attributes
from .processors import SessionSpanProcessor, StampSource
from .trace_context import ContextSpanProcessor

logger = logging.getLogger("aiobs_otel")

# Providers we already attached to (with the stamp source of their session
# processor): repeated observe()/reset() adds nothing twice.
_attached: weakref.WeakKeyDictionary[TracerProvider, StampSource] = weakref.WeakKeyDictionary()
_built: weakref.WeakSet[TracerProvider] = weakref.WeakSet()


def built_here(provider: TracerProvider) -> bool:
    """Whether ``observe()`` built ``provider`` (then we also shut it down at exit)."""
    return provider in _built


def sdk_disabled(environ: Mapping[str, str] = os.environ) -> bool:
    return (environ.get("OTEL_SDK_DISABLED") or "").strip().lower() == "true"


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
    return Resource.create(dict(outgoing_attributes(attributes)))


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


def exporter_names(signal: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """``OTEL_<SIGNAL>_EXPORTER`` as a list; unset: ``otlp`` when an endpoint is
    configured, else nothing. Our own ``aiobs_json`` (the file) is not an
    exporter of the pipeline ``observe()`` builds: the observer writes it."""
    raw = environ.get(f"OTEL_{signal}_EXPORTER")
    if raw is None or not raw.strip():
        return ["otlp"] if otlp_configured(signal, environ) else []
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    return [] if "none" in names else [n for n in names if n != "aiobs_json"]


def _protocol(signal: str) -> str:
    return (
        os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()


def _span_exporter(name: str) -> SpanExporter | None:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name != "otlp":
        logger.warning("aiobs-otel: OTEL_TRACES_EXPORTER=%s is not known here; ignored", name)
        return None
    if _protocol("TRACES") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HTTPSpanExporter,
    )

    return HTTPSpanExporter()


def _install_meter_provider(resource: Resource, names: list[str]) -> None:
    """GenAI metrics go to the configured exporters, when nobody set a
    MeterProvider before us."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        MetricExporter,
        PeriodicExportingMetricReader,
    )

    if isinstance(metrics.get_meter_provider(), MeterProvider):
        return
    readers = []
    for name in names:
        exporter: MetricExporter
        if name == "console":
            exporter = ConsoleMetricExporter()
        elif name != "otlp":
            logger.warning("aiobs-otel: OTEL_METRICS_EXPORTER=%s is not known here; ignored", name)
            continue
        elif _protocol("METRICS") == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

            exporter = OTLPMetricExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter as HTTPMetricExporter,
            )

            exporter = HTTPMetricExporter()
        readers.append(PeriodicExportingMetricReader(exporter))
    if readers:
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def build_tracer_provider(labels: Mapping[str, str]) -> TracerProvider:
    resource = build_resource(labels)
    provider = TracerProvider(resource=resource)
    for name in exporter_names("TRACES"):
        exporter = _span_exporter(name)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    metric_names = exporter_names("METRICS")
    if metric_names:
        _install_meter_provider(resource, metric_names)
    return provider


def ensure_tracer_provider(labels: Mapping[str, str]) -> TracerProvider | None:
    """The global SDK provider, built and installed if there is none yet; None
    when ``OTEL_SDK_DISABLED=true`` or a non-SDK provider is installed."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    if sdk_disabled():
        logger.info("aiobs-otel: OTEL_SDK_DISABLED=true: nothing is recorded")
        return None
    built = build_tracer_provider(labels)
    _built.add(built)
    trace.set_tracer_provider(built)
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    logger.warning(
        "aiobs-otel: the global tracer provider is %s, not the OpenTelemetry SDK's; "
        "spans cannot be recorded for the JSON export",
        type(current).__name__,
    )
    return None


def attach(provider: TracerProvider, current_stamp: StampSource) -> None:
    """Add the session processor to ``provider``, once."""
    existing = _attached.get(provider)
    if existing is not None:
        if existing != current_stamp:
            # One session processor per provider: a second Observer's sessions
            # would be stamped by the first one's.
            logger.warning(
                "aiobs-otel: another Observer is already attached to this TracerProvider; "
                "use the global aiobs_otel.observer, or give each Observer its own "
                "provider (Observer(tracer_provider=...))"
            )
        return
    provider.add_span_processor(SessionSpanProcessor(current_stamp))
    # trace-context attributes on every span, and who reported a generation's usage
    provider.add_span_processor(ContextSpanProcessor())
    _attached[provider] = current_stamp
    _stream_to_sqs(provider)
    _send_to_langfuse(provider)


def _stream_to_sqs(provider: TracerProvider) -> None:
    """When ``AWS_SQS_URL`` is set, traces also stream to that queue, as in llmops."""
    from .exporters.sqs import processor_from_env

    processor = processor_from_env()
    if processor is not None:
        provider.add_span_processor(processor)


def _send_to_langfuse(provider: TracerProvider) -> None:
    """After ``configure()``, or when ``LANGFUSE_*`` are set: spans also go to Langfuse."""
    from .guard import report_internal_error
    from .langfuse import attach_to_provider

    try:
        attach_to_provider(provider)
    except Exception:
        report_internal_error("sending traces to Langfuse")
