"""Custom providers as aiobs documents them ("Extending aiobs"): what a provider
hands to ``collector._record_event`` is a real span and an export event;
``reset()`` undoes the patch; a bad payload never reaches the caller.
(``test_aiobs015_messages.py`` runs the same kind of provider under aiobs 0.1.5.)"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from aiobs_otel import BaseProvider, Observer, observe
from aiobs_otel import attributes as A


class Weather:
    """A tiny "SDK" the provider patches."""

    def forecast(self, city: str) -> str:
        if city == "Atlantis":
            raise LookupError("no such city")
        return f"sunny in {city}"


ORIGINAL = Weather.forecast


class WeatherProvider(BaseProvider):
    name = "weather"

    def __init__(self, payload_for: Callable[[dict[str, Any]], Any] = lambda p: p) -> None:
        self.payload_for = payload_for  # lets a test send what a buggy provider sends
        self.unpatched = 0

    def install(self, collector: Any) -> Callable[[], None]:
        provider = self

        def forecast(sdk: Weather, city: str) -> str:
            started, response, error = time.time(), None, None
            parent = collector.get_current_span_id()
            try:
                response = {"text": ORIGINAL(sdk, city), "parent_seen": parent}
                return str(response["text"])
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                ended = time.time()
                collector._record_event(provider.payload_for({
                    "provider": "weather", "api": "forecast", "request": {"model": "wx-1",
                    "city": city}, "response": response, "error": error, "started_at": started,
                    "ended_at": ended, "duration_ms": (ended - started) * 1000,
                    "callsite": {"file": "app.py", "line": 3, "function": "main"},
                }))  # fmt: skip

        Weather.forecast = forecast  # type: ignore[method-assign]

        def unpatch() -> None:
            provider.unpatched += 1
            Weather.forecast = ORIGINAL  # type: ignore[method-assign]

        return unpatch


@observe
def plan(city: str) -> str:
    return Weather().forecast(city)


def test_events_become_spans_and_export_events(
    observer: Observer, spans: Any, flush_json: Callable[..., dict[str, Any]]
) -> None:
    provider = WeatherProvider()
    observer.register_provider(provider)
    assert Weather.forecast is ORIGINAL  # installed by observe(), not before
    observer.observe()
    assert plan("Paris") == "sunny in Paris"
    with pytest.raises(LookupError, match="no such city"):
        Weather().forecast("Atlantis")  # the provider's caller gets its own exception

    finished = spans.get_finished_spans()
    (outer,) = [s for s in finished if s.name == "plan"]
    call, failed = [s for s in finished if s.name == "forecast wx-1"]
    assert call.kind is SpanKind.CLIENT
    assert call.attributes[A.GEN_AI_PROVIDER_NAME] == "weather"
    assert call.attributes[A.AIOBS_API] == "forecast"
    assert call.attributes[A.GEN_AI_REQUEST_MODEL] == "wx-1"
    assert json.loads(call.attributes[A.AIOBS_REQUEST_EXTRA]) == {"model": "wx-1", "city": "Paris"}
    assert call.parent is not None and call.parent.span_id == outer.context.span_id
    assert call.end_time - call.start_time >= 0 and call.status.status_code is StatusCode.UNSET
    assert failed.status.status_code is StatusCode.ERROR and failed.parent is None
    assert failed.attributes[A.ERROR_TYPE] == "LookupError"

    document = flush_json()
    ok, bad = document["events"]
    assert (ok["provider"], ok["api"], ok["error"]) == ("weather", "forecast", None)
    assert ok["request"] == {"model": "wx-1", "city": "Paris"}
    # the collector's current span id is the @observe span's (hex, as every id in the export)
    assert (
        ok["response"]["parent_seen"]
        == ok["parent_span_id"]
        == format(outer.context.span_id, "016x")
    )
    assert ok["callsite"] == {"file": "app.py", "line": 3, "function": "main"}
    assert bad["error"] == "LookupError: no such city" and bad["response"] is None

    observer.reset()
    assert Weather.forecast is ORIGINAL and provider.unpatched == 1
    assert trace.get_current_span() is trace.INVALID_SPAN


@pytest.mark.parametrize(
    "payload_for",
    [
        lambda p: "not a dict",
        lambda p: {},
        lambda p: {**p, "started_at": "yesterday", "ended_at": None, "duration_ms": "long"},
        lambda p: {**p, "request": {"raw": b"\x00\xff", "score": math.nan}, "callsite": 7},
        lambda p: {**p, "provider": None, "api": 42, "error": ValueError("as an object")},
    ],
    ids=["string", "empty", "bad-times", "bytes-and-nan", "odd-types"],
)
def test_a_bad_payload_is_recorded_safely(
    observer: Observer, flush_json: Callable[..., dict[str, Any]], payload_for: Any
) -> None:
    observer.register_provider(WeatherProvider(payload_for))
    observer.observe()
    assert Weather().forecast("Oslo") == "sunny in Oslo"  # never raised into the caller
    (event,) = flush_json()["events"]
    assert isinstance(event["started_at"], float) and event["duration_ms"] >= 0
    json.dumps(event, allow_nan=False)  # valid JSON for any parser


def test_an_unavailable_provider_is_not_installed(observer: Observer) -> None:
    class Missing(WeatherProvider):
        @classmethod
        def is_available(cls) -> bool:
            return False

    observer.register_provider(Missing())
    observer.observe()
    assert Weather.forecast is ORIGINAL
