"""Putting Langfuse on the tracer provider aiobs-otel uses, once.

``configure()`` remembers the settings and, when an SDK tracer provider is
already installed (yours, or ``opentelemetry-instrument``'s), attaches to it
at once; otherwise the pipeline the first ``observer.observe()`` (or
``TraceManager.start_trace``) builds picks them up (``attach_to_provider``,
called where the pipeline attaches its processors). With no ``configure()``
call, the ``LANGFUSE_*`` variables do the same when all three are set.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ._processor import LangfuseSpanProcessor
from ._settings import LangfuseSettings, missing_from_env

logger = logging.getLogger("aiobs_otel")

_lock = threading.RLock()
_state: dict[str, LangfuseSettings | None] = {"wanted": None}
_processors: weakref.WeakKeyDictionary[TracerProvider, LangfuseSpanProcessor] = (
    weakref.WeakKeyDictionary()
)
_said: set[str] = set()  # one-time messages already logged


def configure(
    public_key: str | None = None,
    secret_key: str | None = None,
    base_url: str | None = None,
    verify_ssl: bool | str | None = None,
    *,
    timeout: float | None = None,
    debug: bool | str | None = None,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Send traces to Langfuse over OTLP/HTTP (``{base_url}/api/public/otel/v1/traces``).

    Each argument falls back to its variable (``LANGFUSE_PUBLIC_KEY``,
    ``LANGFUSE_SECRET_KEY``, ``LANGFUSE_BASE_URL``, ``LANGFUSE_VERIFY_SSL``
    (default false, as in llmops-observability), ``LANGFUSE_TIMEOUT`` (seconds,
    default 5), ``LANGFUSE_DEBUG``). ``ValueError`` names what is missing.
    Calling it again with the same values changes nothing; with others, the
    spans go to the new project from then on (never to both).
    """
    settings = LangfuseSettings.resolve(
        public_key, secret_key, base_url, verify_ssl, timeout=timeout, debug=debug
    )
    with _lock:
        _state["wanted"] = settings
    provider = tracer_provider or _installed_provider()
    if provider is not None:
        _install(provider, settings)


def attach_to_provider(provider: TracerProvider) -> None:
    """The pipeline's hook: Langfuse on ``provider`` when ``configure()`` was
    called, or when the ``LANGFUSE_*`` variables are all set."""
    settings = _wanted()
    if settings is not None:
        _install(provider, settings)


def auto_configure() -> None:
    """For code paths that may run before any pipeline exists (the llmops
    decorators): attach to an installed SDK provider now, if Langfuse is wanted."""
    settings = _wanted()
    provider = _installed_provider()
    if settings is not None and provider is not None:
        _install(provider, settings)


def update_trace(trace_id: str, span_id: str, *, name: str | None = None,
                 session_id: str | None = None) -> None:  # fmt: skip
    """A trace's late Langfuse name or session (``finalize_and_send``); ids in hex."""
    with _lock:
        processors = list(_processors.values())
    for processor in processors:
        processor.update_trace(int(trace_id, 16), int(span_id, 16), name=name,
                               session_id=session_id)  # fmt: skip


def configured_endpoint(provider: TracerProvider | None = None) -> str | None:
    """Where ``provider`` (default: the installed one) sends to Langfuse, or None."""
    provider = provider or _installed_provider()
    processor = _processors.get(provider) if provider is not None else None
    return processor.endpoint if processor is not None else None


def _wanted() -> LangfuseSettings | None:
    with _lock:
        settings = _state["wanted"]
        if settings is not None:
            return settings
        missing = missing_from_env()
        if not missing:
            try:
                settings = _state["wanted"] = LangfuseSettings.resolve()
            except ValueError as error:  # a malformed variable: said, never raised
                _say_once("env", "aiobs-otel: traces are not sent to Langfuse: %s", error)
                return None
            return settings
    if len(missing) < 3:
        _say_once(
            "partial",
            "aiobs-otel: traces are not sent to Langfuse: %s %s not set",
            " and ".join(missing), "is" if len(missing) == 1 else "are",
        )  # fmt: skip
    return None


def _installed_provider() -> TracerProvider | None:
    current = trace.get_tracer_provider()
    return current if isinstance(current, TracerProvider) else None


def _install(provider: TracerProvider, settings: LangfuseSettings) -> None:
    with _lock:
        processor = _processors.get(provider)
        if processor is None:
            processor = _processors[provider] = LangfuseSpanProcessor()
            provider.add_span_processor(processor)
        current = processor.settings
        if current is not None and current.same_target(settings):
            return
        processor.settings = settings
        if otlp_sends_to(settings.endpoint):
            _say_once(
                "otel:" + settings.endpoint,
                "aiobs-otel: OTEL_EXPORTER_OTLP_* already sends traces to %s; no second "
                "Langfuse exporter (its headers are the OTEL_EXPORTER_OTLP_HEADERS ones)",
                settings.endpoint,
            )
            processor.point_at(None, settings.endpoint)
        else:
            from ._transport import LangfuseExporter

            exporter = LangfuseExporter(settings)
            processor.point_at(BatchSpanProcessor(exporter), settings.endpoint)
    _announce(settings)


def otlp_sends_to(endpoint: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the standard OTLP/HTTP traces exporter (``OTEL_TRACES_EXPORTER``,
    ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT``) already targets ``endpoint``."""
    environ = os.environ if environ is None else environ
    specific = (environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
    general = (environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    target = specific or (general.rstrip("/") + "/v1/traces" if general else "")
    if not target:
        return False
    names = (environ.get("OTEL_TRACES_EXPORTER") or "").strip()
    if names and "otlp" not in [n.strip().lower() for n in names.split(",")]:
        return False
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    return protocol.startswith("http") and _same_url(target, endpoint)


def _same_url(one: str, other: str) -> bool:
    return one.rstrip("/").lower() == other.rstrip("/").lower()


def _announce(settings: LangfuseSettings) -> None:
    if settings.debug:
        for name in ("aiobs_otel.langfuse", "opentelemetry.exporter.otlp"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        if not logging.getLogger("aiobs_otel.langfuse").handlers:
            logging.getLogger("aiobs_otel.langfuse").addHandler(logging.StreamHandler())
        logging.getLogger("aiobs_otel.langfuse").debug(
            "aiobs-otel: traces go to Langfuse at %s (public key %s..., verify_ssl=%s)",
            settings.endpoint, settings.public_key[:8], settings.verify_ssl,
        )  # fmt: skip
    if settings.https and not settings.verify_ssl:
        _say_once(
            "verify:" + settings.host,
            "aiobs-otel: TLS certificates of the Langfuse server %s are not verified "
            "(verify_ssl=False, llmops-observability's default); set LANGFUSE_VERIFY_SSL=true "
            "or configure(verify_ssl=True) to verify them",
            settings.host,
        )


def _say_once(key: str, message: str, *args: object) -> None:
    with _lock:
        if key in _said:
            return
        _said.add(key)
    logger.warning(message, *args)


def _reset_for_tests() -> None:
    """Forget the settings and messages (processors stay: providers are set once)."""
    with _lock:
        _state["wanted"] = None
        _said.clear()
