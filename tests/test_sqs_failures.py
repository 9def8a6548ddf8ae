"""SQS down at start, SQS killed mid-run, SQS refusing: the application never
waits longer than the immediate budget, what SQS does not take goes to the spill
file, and the spill is re-sent (and removed) once SQS takes it: every trace
arrives, none twice on a FIFO queue."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _sqs_support import (
    KillableProxy,
    aws_env,
    keys_of,
    make_exporter,
    moto_server,
    receive_all,
    shut_down_exporters,
    spill_files,
    streaming_provider,
    wait_for,
)
from aiobs_otel.exporters.sqs import decode_message
from test_sqs_size import noise

BUDGET_S = 0.25  # LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with moto_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    aws_env(monkeypatch)
    yield
    shut_down_exporters()


@pytest.fixture
def proxy(moto: Any) -> Iterator[KillableProxy]:
    """The SQS endpoint the exporters use: moto behind a proxy we can kill. Starts dead."""
    proxy = KillableProxy(moto.port)
    yield proxy
    proxy.kill()


def produce(provider: Any, count: int, pause: float = 0.0) -> list[float]:
    """``count`` traces of two spans; the time each took on this (the app's) thread."""
    tracer = provider.get_tracer("app")
    costs = []
    for number in range(count):
        started = time.perf_counter()
        with (
            tracer.start_as_current_span(f"request {number}"),
            tracer.start_as_current_span("step"),
        ):
            pass
        costs.append(time.perf_counter() - started)
        if pause:
            time.sleep(pause)
    return costs


def recorded(provider: Any) -> InMemorySpanExporter:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


def trace_ids(memory: InMemorySpanExporter) -> set[str]:
    return {format(s.context.trace_id, "032x") for s in memory.get_finished_spans()}


def test_down_at_start_spills_then_the_next_start_sends_it_all(
    moto: Any, proxy: KillableProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = moto.create_queue()
    first = make_exporter(url, proxy.endpoint, tmp_path)
    provider = streaming_provider(first)
    memory = recorded(provider)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        costs = produce(provider, 30)
        assert first.force_flush(10_000)  # SQS or the spill file has every trace
    assert max(costs) < BUDGET_S
    stats = first.stats()
    assert stats["sqs_down"] and stats["messages_spilled"] == 30 and stats["messages_sent"] == 0
    (spill,) = spill_files(tmp_path)
    assert len(spill.read_text().splitlines()) == 31  # a header and one line per trace
    assert spill.stat().st_mode & 0o777 == 0o600  # prompts: this user's only
    assert "not taking messages" in caplog.text and str(spill) in caplog.text
    provider.shutdown()

    # Another start while SQS is still down leaves the file as it is.
    before = spill.read_bytes()
    still_down = make_exporter(url, proxy.endpoint, tmp_path)
    wait_for(lambda: still_down.stats()["sqs_down"], what="the replay to find SQS down")
    still_down.shutdown()
    assert spill.read_bytes() == before

    proxy.revive()
    restarted = make_exporter(url, proxy.endpoint, tmp_path)
    wait_for(lambda: restarted.stats()["spill_files_replayed"] == 1, what="the replay")
    bodies = receive_all(moto.client(), url, expect=30)
    assert {json.loads(b)["trace_id"] for b in bodies} == trace_ids(memory)
    assert set(keys_of(bodies).values()) == {1}  # every trace exactly once
    assert spill_files(tmp_path) == []  # removed once SQS took all of it
    assert restarted.stats()["messages_replayed"] == 30
    restarted.shutdown()


@pytest.mark.parametrize("fifo", [True, False], ids=["fifo", "standard"])
def test_sqs_killed_mid_run_then_back(
    moto: Any, proxy: KillableProxy, tmp_path: Path, fifo: bool
) -> None:
    # moto is slower with FIFO queues: fewer traces over the same three seconds.
    count, pause = (150, 0.02) if fifo else (300, 0.01)
    url = moto.create_queue(fifo=fifo)
    exporter = make_exporter(url, proxy.endpoint, tmp_path)
    provider = streaming_provider(exporter)
    memory = recorded(provider)
    proxy.revive()
    costs: list[float] = []
    producer = threading.Thread(target=lambda: costs.extend(produce(provider, count, pause)))
    producer.start()
    time.sleep(1.0)
    proxy.kill()  # mid-run: connections reset, nothing listens
    wait_for(lambda: exporter.stats()["sqs_down"], what="the outage to be noticed")
    time.sleep(0.5)
    proxy.revive()
    producer.join()
    assert max(costs) < BUDGET_S
    wait_for(lambda: not exporter.stats()["sqs_down"], what="SQS to be back")
    assert exporter.force_flush(20_000)
    wait_for(lambda: spill_files(tmp_path) == [] and exporter.stats()["messages_spilled"]
             == exporter.stats()["messages_replayed"], what="the spill to be re-sent")  # fmt: skip
    stats = exporter.stats()
    bodies = receive_all(moto.client(), url, expect=count)
    received = keys_of(bodies)
    assert {json.loads(b)["trace_id"] for b in bodies} == trace_ids(memory)  # none lost
    assert len(received) == count and stats["messages_spilled"] > 0
    if fifo:
        assert set(received.values()) == {1}  # the queue dropped any re-send
    else:
        # A batch in flight when the connection died may have reached SQS and be
        # spilled too: at most one batch per worker, and with the same key.
        duplicates = sum(n - 1 for n in received.values())
        assert duplicates <= 4 * 10
    provider.shutdown()


def test_the_spill_file_is_capped_and_counts_what_it_drops(
    moto: Any, proxy: KillableProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, proxy.endpoint, tmp_path, spill_max_bytes=20_000)
    provider = streaming_provider(exporter)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        produce(provider, 100)
        assert exporter.force_flush(10_000)
    stats = exporter.stats()
    (spill,) = spill_files(tmp_path)
    assert spill.stat().st_size <= 20_000
    assert stats["spill_dropped"] > 0
    assert stats["messages_spilled"] + stats["spill_dropped"] == 100
    assert "is full" in caplog.text and "dropped so far" in caplog.text
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        provider.shutdown()
    assert f"{stats['spill_dropped']} trace message(s) dropped" in caplog.records[-1].getMessage()


def test_a_torn_last_line_is_skipped_and_the_rest_replayed(
    moto: Any, proxy: KillableProxy, tmp_path: Path
) -> None:
    url = moto.create_queue()
    first = make_exporter(url, proxy.endpoint, tmp_path)
    provider = streaming_provider(first)
    produce(provider, 5)
    assert first.force_flush(10_000)
    provider.shutdown()
    (spill,) = spill_files(tmp_path)
    with spill.open("a") as handle:  # what a process killed mid-write leaves
        handle.write('{"key": "abc", "trace_id": "00", "body": "{\\"compr')
    proxy.revive()
    restarted = make_exporter(url, proxy.endpoint, tmp_path)
    wait_for(lambda: restarted.stats()["spill_files_replayed"] == 1, what="the replay")
    assert len(receive_all(moto.client(), url, expect=5)) == 5
    restarted.shutdown()


def test_a_full_inbox_costs_the_app_at_most_the_budget(
    moto: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the assembler cannot keep up, export() waits at most
    LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS, then drops the spans and counts them."""
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path, max_buffered_spans=100,
                             immediate_max_block_ms=100)  # fmt: skip
    release = threading.Event()
    real = exporter._assemble_once
    monkeypatch.setattr(exporter, "_assemble_once", lambda: (release.wait(), real())[1])
    provider = streaming_provider(exporter)
    costs = produce(provider, 60)  # 120 spans: the last 20 find no room
    assert 0.09 < max(costs) < BUDGET_S
    assert exporter.stats()["spans_dropped"] == 20
    release.set()
    assert exporter.force_flush(10_000)
    assert len(receive_all(moto.client(), url, expect=50)) == 50
    provider.shutdown()


def test_a_message_sqs_rejects_is_dropped_counted_and_logged(
    moto: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQS answers SenderFault for a message it will never take (here: over the
    queue's MaximumMessageSize); retrying or spilling it would loop for ever."""
    client = moto.client()
    url = client.create_queue(QueueName="tiny-messages",
                              Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]  # fmt: skip
    exporter = make_exporter(url, moto.endpoint, tmp_path)
    provider = streaming_provider(exporter)
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        with provider.get_tracer("t").start_as_current_span("big", attributes={
            "payload": noise(3000, seed=3)}):  # fmt: skip
            pass
        traces_ok = produce(provider, 3)  # small ones in the same batches still arrive
        assert exporter.force_flush(10_000)
    stats = exporter.stats()
    assert stats["messages_rejected"] == 1 and stats["messages_spilled"] == 0
    assert stats["messages_sent"] == len(traces_ok) == 3
    assert "SQS rejected a trace message" in caplog.text and "InvalidParameterValue" in caplog.text
    assert not stats["sqs_down"]
    bodies = receive_all(client, url, expect=3)
    assert sorted(decode_message(b)["trace_name"] for b in bodies) == [
        "request 0", "request 1", "request 2"]  # fmt: skip
    provider.shutdown()


def test_an_idle_app_still_resends_its_spill_when_sqs_is_back(
    moto: Any, proxy: KillableProxy, tmp_path: Path
) -> None:
    """Nothing new to send after the outage: the replayer's own probe finds SQS back."""
    url = moto.create_queue()
    exporter = make_exporter(url, proxy.endpoint, tmp_path)
    provider = streaming_provider(exporter)
    produce(provider, 12)
    assert exporter.force_flush(10_000)
    assert exporter.stats()["messages_spilled"] == 12
    proxy.revive()
    wait_for(lambda: exporter.stats()["messages_replayed"] == 12, what="the idle replay")
    assert len(receive_all(moto.client(), url, expect=12)) == 12
    wait_for(lambda: spill_files(tmp_path) == [], what="the spill file to be removed")
    provider.shutdown()


def test_a_spill_for_another_queue_is_left_alone(
    moto: Any, proxy: KillableProxy, tmp_path: Path
) -> None:
    url = moto.create_queue()
    first = make_exporter(url, proxy.endpoint, tmp_path)
    provider = streaming_provider(first)
    produce(provider, 2)
    assert first.force_flush(10_000)
    provider.shutdown()
    (spill,) = spill_files(tmp_path)
    text = spill.read_text().replace(url, url + "-other", 1)  # its header names another queue
    spill.write_text(text)
    proxy.revive()
    again = make_exporter(url, proxy.endpoint, tmp_path)
    time.sleep(1.0)
    assert spill.read_text() == text and again.stats()["messages_replayed"] == 0
    again.shutdown()
