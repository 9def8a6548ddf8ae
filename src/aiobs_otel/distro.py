"""Zero-code launch: the distro and configurator ``opentelemetry-instrument`` loads.

::

    pip install '.[openai]'                         # in the checkout
    opentelemetry-instrument python app.py          # -> ./<session-id>.json
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \\
        opentelemetry-instrument python app.py      # -> the file and an OTLP backend

``AiobsDistro`` only fills in defaults (``os.environ.setdefault``): every
standard ``OTEL_*`` variable the user sets wins. ``AiobsConfigurator`` runs
the SDK's standard configuration, then attaches the process-wide observer to
the provider it built and opens the implicit session the JSON export needs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.trace import TracerProvider

from .exporters import zero_code
from .guard import report_internal_error
from .pipeline import default_service_name, otlp_configured, service_name_configured

logger = logging.getLogger("aiobs_otel")

JSON_EXPORTER = "aiobs_json"
LABELS_DETECTOR = "aiobs_labels"
_SERVICE_NAME = "service.name"


def default_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The defaults the distro would set, given the current environment.

    - traces: the JSON file always; OTLP too once an endpoint is configured;
    - metrics: OTLP once an endpoint is configured, otherwise none;
    - logs: none (we emit no logs signal);
    - OTLP protocol: ``http/protobuf``, the specification's default (the
      Python SDK alone would pick gRPC), the same as ``observer.observe()``;
    - resource detectors: ``aiobs_labels`` (the SDK always adds its own).
    """
    traces = JSON_EXPORTER + (",otlp" if otlp_configured("TRACES", environ) else "")
    return {
        "OTEL_TRACES_EXPORTER": traces,
        "OTEL_METRICS_EXPORTER": "otlp" if otlp_configured("METRICS", environ) else "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": LABELS_DETECTOR,
    }


def apply_defaults(environ: MutableMapping[str, str]) -> None:
    for name, value in default_environment(environ).items():
        environ.setdefault(name, value)


class AiobsDistro(BaseDistro):  # type: ignore[misc]
    """``opentelemetry_distro`` entry point ``aiobs_otel``
    (select it with ``OTEL_PYTHON_DISTRO=aiobs_otel`` when several are installed)."""

    def _configure(self, **kwargs: Any) -> None:
        apply_defaults(os.environ)

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """The contrib HTTP instrumentors (requests, httpx, urllib, fastapi) get
        our redaction hooks; every other entry point loads as usual."""
        try:
            from .http.zero_code import instrumentor_kwargs

            kwargs = {**instrumentor_kwargs(entry_point.name), **kwargs}
        except Exception:
            report_internal_error(f"preparing the {entry_point.name} instrumentation")
        super().load_instrumentor(entry_point, **kwargs)


def _service_name_configured(attributes: Mapping[str, Any]) -> bool:
    return bool(attributes.get(_SERVICE_NAME)) or service_name_configured()


class AiobsConfigurator(_OTelSDKConfigurator):
    """``opentelemetry_configurator`` entry point ``aiobs_otel``
    (select it with ``OTEL_PYTHON_CONFIGURATOR=aiobs_otel``)."""

    def _configure(self, **kwargs: Any) -> None:
        if not os.environ.get("OTEL_CONFIG_FILE"):
            # The script's name instead of "unknown_service:python"; passed to
            # the SDK, never put in the environment child processes inherit.
            attributes = dict(kwargs.get("resource_attributes") or {})
            if not _service_name_configured(attributes):
                attributes[_SERVICE_NAME] = default_service_name()
            kwargs["resource_attributes"] = attributes
        super()._configure(**kwargs)  # type: ignore[no-untyped-call]
        try:
            start_implicit_session()
        except Exception:
            report_internal_error("attaching the observer to the zero-code pipeline")
        try:
            _send_to_langfuse()
        except Exception:
            report_internal_error("sending the zero-code traces to Langfuse")


def _send_to_langfuse() -> None:
    """``LANGFUSE_*`` work under zero-code too, with or without the JSON file
    (with it, attaching the observer has done this already: nothing twice)."""
    from .langfuse import attach_to_provider

    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        attach_to_provider(provider)


def start_implicit_session() -> str | None:
    """When the SDK built the ``aiobs_json`` exporter, attach the global observer
    to the SDK's provider and open the process's session; None when
    ``aiobs_json`` is not configured (the observer then attaches on the first
    ``observer.observe()``, as in any app)."""
    from . import observer

    if zero_code.latest_instance() is None:
        return None
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        logger.warning(
            "aiobs-otel: the global tracer provider is %s, not the SDK's; "
            "the aiobs_json exporter stays unused",
            type(provider).__name__,
        )
        return None
    name = provider.resource.attributes.get(_SERVICE_NAME)
    session_name = str(name) if name else default_service_name()
    return observer._adopt_pipeline(provider, session_name=session_name)
