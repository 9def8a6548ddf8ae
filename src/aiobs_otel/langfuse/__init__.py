"""Langfuse over OpenTelemetry: llmops-observability's ``configure()`` and ``LANGFUSE_*``.

Usage::

    # from llmops_observability import configure
    from aiobs_otel.llmops import configure   # or: from aiobs_otel.langfuse import configure

    configure(public_key=os.getenv("LANGFUSE_PUBLIC_KEY"),
              secret_key=os.getenv("LANGFUSE_SECRET_KEY"),
              base_url=os.getenv("LANGFUSE_BASE_URL"), verify_ssl=False)

    # or nothing at all: with LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and
    # LANGFUSE_BASE_URL set, observer.observe() / TraceManager.start_trace /
    # opentelemetry-instrument send to Langfuse by themselves.

Spans go to ``{base_url}/api/public/otel/v1/traces`` through OpenTelemetry's
OTLP/HTTP exporter in a ``BatchSpanProcessor``, with
``Authorization: Basic base64(public_key:secret_key)``; a slow or unreachable
Langfuse costs telemetry only. ``ENV`` (or the trace's ``environment``)
becomes Langfuse's environment.
"""

from ._environment import is_valid_environment
from ._install import (
    attach_to_provider,
    auto_configure,
    configure,
    configured_endpoint,
    otlp_sends_to,
    update_trace,
)
from ._settings import LangfuseSettings

# The exporter (``_transport``: requests, the OTLP exporter) is imported only
# once Langfuse is configured.
__all__ = [
    "LangfuseSettings",
    "attach_to_provider",
    "auto_configure",
    "configure",
    "configured_endpoint",
    "is_valid_environment",
    "otlp_sends_to",
    "update_trace",
]
