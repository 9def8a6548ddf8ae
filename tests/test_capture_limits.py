"""capture_locals / capture_self (llmops semantics: locals at return, self's
attributes; secrets redacted, sizes capped) and the per-field size limits."""

# ruff: noqa: F841, SIM113  (the locals these tests capture are there to be captured)
from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer, observe
from aiobs_otel.limits import limited_json


def attribute(spans: InMemorySpanExporter, name: str, key: str) -> Any:
    [span] = [s for s in spans.get_finished_spans() if s.name == name]
    value = span.attributes.get(key)
    return json.loads(value) if isinstance(value, str) else value


def test_capture_locals_all_and_selected(observer: Observer, spans: InMemorySpanExporter) -> None:
    # llmops's README example, "Capture All Local Variables"
    @observe(capture_locals=True)
    def process_payment(amount: float, currency: str) -> dict[str, float]:
        user_id = "user_123"
        transaction_id = "txn_abc"
        tax = amount * 0.1
        total = amount + tax
        return {"total": total}

    @observe(capture_locals=["user_id", "total"])
    def selective(amount: float, currency: str) -> dict[str, float]:
        user_id = "user_123"
        tax = amount * 0.1
        total = amount + tax
        return {"total": total}

    observer.observe()
    process_payment(100.0, "USD")
    selective(100.0, "USD")
    assert attribute(spans, "process_payment", "aiobs.function.locals") == {
        "user_id": "user_123", "transaction_id": "txn_abc", "tax": 10.0, "total": 110.0,
        "amount": 100.0, "currency": "USD",
    }  # fmt: skip
    assert attribute(spans, "selective", "aiobs.function.locals") == {
        "user_id": "user_123", "total": 110.0,
    }  # fmt: skip


def test_locals_when_raising_and_for_other_shapes(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    @observe(capture_locals=True)
    def fails(x: int) -> None:
        step = x * 2
        raise ValueError(f"bad {step}")

    @observe(capture_locals=["seen"])
    def gen(n: int) -> Iterator[int]:
        seen = 0
        for i in range(n):
            seen += 1
            yield i

    @observe(capture_locals=True)
    async def coro(x: int) -> int:
        before = x
        await asyncio.sleep(0)
        after = before + 1
        return after

    @observe(capture_locals=["last"])
    async def agen(n: int) -> AsyncIterator[int]:
        last = None
        for i in range(n):
            last = i
            yield i

    async def run() -> None:
        assert await coro(1) == 2
        assert [i async for i in agen(3)] == [0, 1, 2]

    observer.observe()
    with pytest.raises(ValueError, match="bad 4"):
        fails(2)
    assert list(gen(3)) == [0, 1, 2]
    asyncio.run(run())
    assert attribute(spans, "fails", "aiobs.function.locals") == {"x": 2, "step": 4}
    assert attribute(spans, "gen", "aiobs.function.locals") == {"seen": 3}
    assert attribute(spans, "coro", "aiobs.function.locals") == {"x": 1, "before": 1, "after": 2}
    assert attribute(spans, "agen", "aiobs.function.locals") == {"last": 2}


def test_locals_are_redacted_capped_and_safe(
    observer: Observer, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOBS_MAX_SPAN_IO_BYTES", "2000")

    class Opaque:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    @observe(capture_locals=True)
    def messy() -> str:
        api_key = "sk-live-123456789"
        loop = []
        loop.append(loop)
        odd = Opaque()
        blob = b"\x00" * 10
        return "ok"

    @observe(capture_locals=True)
    def big() -> int:
        rows = ["y" * 100] * 100
        return len(rows)

    observer.observe()
    assert messy() == "ok"
    assert big() == 100
    captured = attribute(spans, "messy", "aiobs.function.locals")
    assert captured["api_key"] == "<redacted>"
    assert captured["blob"] == "<bytes len=10>"
    assert captured["odd"].startswith("<unrepresentable")
    assert "sk-live" not in json.dumps(captured)
    marker = attribute(spans, "big", "aiobs.function.locals")
    assert marker["truncated"] is True and marker["limit"] == 2000


def test_capture_self(observer: Observer, spans: InMemorySpanExporter, flush_json: Any) -> None:
    class PaymentProcessor:
        def __init__(self, merchant_id: str) -> None:
            self.merchant_id = merchant_id
            self.fee_rate = 0.029
            self.api_key = "sk-merchant-secret"

        @observe(capture_self=True)
        def process(self, amount: float) -> float:
            return amount - amount * self.fee_rate

    observer.observe()
    PaymentProcessor("merch_123").process(100.0)
    assert attribute(spans, "process", "aiobs.function.self") == {
        "merchant_id": "merch_123", "fee_rate": 0.029, "api_key": "<redacted>",
    }  # fmt: skip
    [event] = flush_json()["function_events"]
    assert event["self"]["merchant_id"] == "merch_123"
    assert "locals" not in event


def test_another_profiler_makes_locals_unavailable(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    @observe(capture_locals=True)
    def work() -> int:
        value = 1
        return value

    def profiler(frame: Any, event: str, arg: Any) -> None:
        return None

    observer.observe()
    sys.setprofile(profiler)
    try:
        assert work() == 1
    finally:
        sys.setprofile(None)
    assert attribute(spans, "work", "aiobs.function.locals").startswith("<locals unavailable")
    work()  # and the hook never stays behind
    assert sys.getprofile() is None


def test_capture_off_installs_nothing(observer: Observer) -> None:
    seen: list[Any] = []

    @observe
    def plain() -> None:
        seen.append(sys.getprofile())

    @observe(capture_locals=True)
    def captured() -> None:
        seen.append(sys.getprofile())  # removed before the body's first line

    observer.observe()
    plain()
    captured()
    assert seen == [None, None]


@pytest.mark.parametrize("limit", [256, 1000, 20_000])
def test_limited_json_is_valid_and_within_the_limit(limit: int) -> None:
    values: list[Any] = [
        "x" * 100_000,
        {"k": '"\\' * 30_000},
        ["é" * 10] * 5000,
        {"nested": {"a": [1] * 9999}},
    ]
    for value in values:
        text = limited_json(value, limit)
        assert len(text.encode()) <= limit
        marker = json.loads(text)
        assert marker["truncated"] is True and marker["limit"] == limit
        assert marker["original_size"] == len(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        )
        assert marker["preview"]
    assert json.loads(limited_json({"small": [1, 2]}, 256)) == {"small": [1, 2]}
    assert json.loads(limited_json({"nan": float("nan"), "s": "\ud800"}, 256)) == {
        "nan": "NaN", "s": "\ufffd",
    }  # fmt: skip


def test_bad_limit_settings_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiobs_otel import limits

    monkeypatch.setenv("AIOBS_MAX_SPAN_IO_BYTES", "lots")
    monkeypatch.setenv("AIOBS_MAX_TRACE_IO_BYTES", "10")
    monkeypatch.setenv("AIOBS_MAX_PROMPT_BYTES", "4096")
    assert limits.span_io_limit() == 20_000
    assert limits.trace_io_limit() == 50_000  # below the 256-byte minimum
    assert limits.prompt_limit() == 4096
