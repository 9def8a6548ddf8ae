"""Custom providers, as aiobs documents them ("Extending aiobs").

    from aiobs_otel import BaseProvider, observer

    class MyProvider(BaseProvider):
        name = "my-provider"

        @classmethod
        def is_available(cls) -> bool: ...

        def install(self, collector):
            ...  # patch your SDK; on each call: collector._record_event({...})
            return unpatch

    observer.register_provider(MyProvider())   # before observe()
    observer.observe()

What a provider hands to ``collector._record_event`` (aiobs's normalised
payload: provider, api, request, response, error, started_at, ended_at,
duration_ms, callsite) becomes a real span, child of the current span, so it
reaches OTLP backends too, and an event in the export. A payload that is not
what aiobs expects is recorded as well as it can be, never raised into the
provider's caller.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind

from . import attributes as A
from .guard import report_internal_error
from .outgoing import outgoing_attributes, outgoing_text, safe_error_text, set_error_status
from .records import SpanFacts
from .spans import finish_span, tracer
from .values import clean_text, dumps, to_jsonable

SCOPE = "aiobs_otel.providers"


class BaseProvider(ABC):
    """aiobs's provider interface: ``name``, ``is_available()``, ``install(collector)``."""

    name: str = "provider"

    @classmethod
    def is_available(cls) -> bool:
        return True

    @abstractmethod
    def install(self, collector: Any) -> Callable[[], None] | None:
        """Patch the SDK; return a callable that undoes it (or None)."""
        raise NotImplementedError


@dataclass(slots=True, eq=False)
class ProviderEventRecord:
    """A custom provider's event, kept as the provider gave it (JSON-safe)."""

    provider: str
    api: str
    request: Any
    response: Any
    error: str | None
    callsite: tuple[str | None, int | None, str | None] | None
    facts: SpanFacts | None = None

    is_function = False

    def event_fields(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "api": self.api,
            "request": self.request,
            "response": self.response,
        }


class Collector:
    """What ``install(collector)`` receives: aiobs's collector methods a provider uses."""

    def _record_event(self, payload: Any) -> None:
        try:
            record_payload(payload)
        except Exception:
            report_internal_error("recording a custom provider's event")

    def get_current_span_id(self) -> str | None:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        return format(context.span_id, "016x") if context.is_valid else None


def _fields(payload: Any) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    dumped = getattr(payload, "model_dump", None)
    if callable(dumped):
        value = dumped()
        if isinstance(value, Mapping):
            return value
    return {"request": payload}


def _seconds(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return default


def _callsite(value: Any) -> tuple[str | None, int | None, str | None] | None:
    site = _fields(value) if value is not None else None
    if not site:
        return None
    line = site.get("line")
    return (
        str(site["file"]) if site.get("file") is not None else None,
        line if isinstance(line, int) else None,
        str(site["function"]) if site.get("function") is not None else None,
    )


def record_payload(payload: Any) -> None:
    """One provider event as a span (times as the payload says) and a record."""
    fields = _fields(payload)
    now = time.time()
    started = _seconds(fields.get("started_at"), now)
    ended = _seconds(fields.get("ended_at"), started + _seconds(fields.get("duration_ms"), 0) / 1e3)
    provider = str(fields.get("provider") or "provider")
    api = str(fields.get("api") or "call")
    request, response = to_jsonable(fields.get("request")), to_jsonable(fields.get("response"))
    error = fields.get("error")
    record = ProviderEventRecord(
        provider, api, request, response, safe_error_text(str(error)) if error else None,
        _callsite(fields.get("callsite")),
    )  # fmt: skip
    attributes: dict[str, Any] = {
        A.GEN_AI_PROVIDER_NAME: provider,
        A.AIOBS_API: api,
        A.AIOBS_REQUEST_EXTRA: dumps(request),
        A.AIOBS_RESPONSE_EXTRA: dumps(response),
    }
    model = request.get("model") if isinstance(request, dict) else None
    if isinstance(model, str):
        attributes[A.GEN_AI_REQUEST_MODEL] = model
    span = tracer(SCOPE).start_span(
        clean_text(f"{api} {model}" if isinstance(model, str) else api),
        kind=SpanKind.CLIENT, attributes=outgoing_attributes(attributes),
        start_time=int(started * 1e9),
    )  # fmt: skip
    if record.error:
        span.set_attribute(A.ERROR_TYPE, outgoing_text(record.error.split(":", 1)[0]))
        set_error_status(span, record.error)
    finish_span(span, record, end_ns=int(max(ended, started) * 1e9))


class ProviderRegistry:
    """Providers registered before ``observe()``, installed once, undone by ``reset()``."""

    def __init__(self) -> None:
        self.providers: list[Any] = []
        self._unpatchers: list[Callable[[], None]] = []
        self._installed = False

    def register(self, provider: Any) -> None:
        self.providers.append(provider)
        if self._installed:
            self._install(provider)

    def install_all(self) -> None:
        if self._installed:
            return
        self._installed = True
        for provider in self.providers:
            self._install(provider)

    def _install(self, provider: Any) -> None:
        try:
            if not type(provider).is_available():
                return
            unpatch = provider.install(Collector())
        except Exception:
            report_internal_error(f"installing the custom provider {provider!r}")
            return
        if callable(unpatch):
            self._unpatchers.append(unpatch)

    def uninstall_all(self) -> None:
        for unpatch in reversed(self._unpatchers):
            try:
                unpatch()
            except Exception:
                report_internal_error("undoing a custom provider")
        self._unpatchers.clear()
        self.providers.clear()
        self._installed = False
