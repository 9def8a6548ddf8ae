"""How traces reach the queue: in batches of at most ten (and of at most the
batch size limit in bytes), with FIFO group and deduplication ids, and when:
complete, late, partial, at force_flush and at shutdown."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _sqs_support import (
    aws_env,
    keys_of,
    make_exporter,
    moto_server,
    receive_all,
    shut_down_exporters,
    streaming_provider,
)
from aiobs_otel import attributes as A
from aiobs_otel.exporters.sqs import decode_message
from test_sqs_size import noise


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with moto_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    aws_env(monkeypatch)
    yield
    shut_down_exporters()


def recording_client(moto: Any) -> tuple[Any, list[list[dict[str, Any]]]]:
    """A boto3 client that records the entries of every SendMessageBatch it sends."""
    client = moto.client()
    batches: list[list[dict[str, Any]]] = []
    client.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: batches.append(list(params["Entries"])),
    )
    return client, batches


def traces(tracer: Any, count: int, **attributes: Any) -> None:
    for number in range(count):
        with (
            tracer.start_as_current_span(f"request {number}", attributes=attributes),
            tracer.start_as_current_span("step"),
        ):
            pass


def test_traces_go_in_batches_of_ten(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    client, batches = recording_client(moto)
    exporter = make_exporter(url, moto.endpoint, tmp_path, client=client)
    provider = streaming_provider(exporter)
    traces(provider.get_tracer("t"), 25)
    assert exporter.force_flush(10_000)
    assert [len(batch) for batch in batches] == [10, 10, 5]
    assert len(receive_all(client, url, expect=25)) == 25
    stats = exporter.stats()
    assert (stats["messages_sent"], stats["batches_sent"], stats["traces_assembled"]) == (25, 3, 25)
    provider.shutdown()


def test_the_batch_size_variable_and_the_batch_byte_limit(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    client, batches = recording_client(moto)
    exporter = make_exporter(url, moto.endpoint, tmp_path, client=client, batch_size=4)
    provider = streaming_provider(exporter)
    traces(provider.get_tracer("t"), 9)
    # Messages of ~100 KiB each: a SendMessageBatch carries at most 256 KiB in all.
    traces(provider.get_tracer("t"), 5, **{A.AIOBS_FUNCTION_RESULT: json.dumps(noise(150_000, 7))})
    assert exporter.force_flush(20_000)
    assert all(1 <= len(batch) <= 4 for batch in batches)
    assert sum(len(batch) for batch in batches) == 14
    assert all(sum(len(e["MessageBody"]) for e in batch) <= 262_144 for batch in batches)
    assert len(receive_all(client, url, expect=14)) == 14
    provider.shutdown()


def test_a_fifo_queue_gets_the_trace_as_group_and_the_key_as_deduplication_id(
    moto: Any, tmp_path: Path
) -> None:
    url = moto.create_queue(fifo=True)
    client = moto.client()
    exporter = make_exporter(url, moto.endpoint, tmp_path, client=client)
    provider = streaming_provider(exporter)
    traces(provider.get_tracer("t"), 3)
    assert exporter.force_flush(10_000)
    seen = []
    while len(seen) < 3:
        answer = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                        AttributeNames=["All"], VisibilityTimeout=300)  # fmt: skip
        seen.extend(answer.get("Messages") or [])
    for message in seen:
        wrapper = json.loads(message["Body"])
        assert message["Attributes"]["MessageGroupId"] == wrapper["trace_id"]
        assert message["Attributes"]["MessageDeduplicationId"] == wrapper["idempotency_key"]
    provider.shutdown()


def test_the_same_trace_always_gets_the_same_key_and_bytes(moto: Any, tmp_path: Path) -> None:
    """Two exporters fed the same finished spans send identical messages."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    source = TracerProvider(shutdown_on_exit=False)
    source.add_span_processor(SimpleSpanProcessor(memory))
    traces(source.get_tracer("t"), 2)
    bodies = []
    for run in range(2):
        url = moto.create_queue()
        exporter = make_exporter(url, moto.endpoint, tmp_path / str(run))
        exporter.export(memory.get_finished_spans())
        assert exporter.force_flush(10_000)
        bodies.append(sorted(receive_all(moto.client(), url, expect=2)))
        exporter.shutdown()
    assert bodies[0] == bodies[1]
    assert len(keys_of(bodies[0])) == 2


def test_spans_that_end_after_their_trace_was_sent_follow_as_a_late_segment(
    moto: Any, tmp_path: Path
) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path)
    tracer = streaming_provider(exporter).get_tracer("t")
    with tracer.start_as_current_span("handler", attributes={A.AIOBS_TRACE_NAME: "chat_api"}):
        stream_span = tracer.start_span("chat stream")  # a stream consumed after return
    time.sleep(0.3)  # past the 50 ms grace: the trace was sent
    stream_span.end()
    assert exporter.force_flush(10_000)
    sent = [decode_message(b) for b in receive_all(moto.client(), url, expect=2)]
    complete = next(t for t in sent if t["segment"] == "complete")
    late = next(t for t in sent if t["segment"] == "late")
    assert complete["trace_id"] == late["trace_id"]
    assert [s["span_name"] for s in complete["spans"]] == ["handler"]
    assert [s["span_name"] for s in late["spans"]] == ["chat stream"]
    assert late["is_child_segment"] is True and late["trace_name"] == "chat_api"
    assert late["idempotency_key"] != complete["idempotency_key"]
    exporter.shutdown()


def test_a_late_child_within_the_grace_travels_with_its_root(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path, trace_grace_ms=1000)
    tracer = streaming_provider(exporter).get_tracer("t")
    with tracer.start_as_current_span("handler"):
        child = tracer.start_span("background step")
    threading.Timer(0.2, child.end).start()
    (body,) = receive_all(moto.client(), url, expect=1, timeout=10)
    assert {s["span_name"] for s in decode_message(body)["spans"]} == {"handler", "background step"}
    exporter.shutdown()


def test_an_open_trace_is_sent_as_partial_and_its_root_follows(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path, open_trace_timeout=1.0)
    tracer = streaming_provider(exporter).get_tracer("t")
    root = tracer.start_span("long agent run")
    with tracer.start_as_current_span("first step", context=_context_of(root)):
        pass
    # Neither the root nor force_flush: the open-trace timeout sends what ended.
    (body,) = receive_all(moto.client(), url, expect=1, timeout=10)
    partial = decode_message(body)
    assert partial["segment"] == "partial" and partial["is_child_segment"] is False
    assert [s["span_name"] for s in partial["spans"]] == ["first step"]
    root.end()
    assert exporter.force_flush(10_000)
    (body,) = receive_all(moto.client(), url, expect=1)
    late = decode_message(body)
    assert late["segment"] == "late" and [s["span_name"] for s in late["spans"]] == [
        "long agent run"
    ]
    assert late["trace_name"] == "long agent run"  # the root names the trace
    exporter.shutdown()


def test_force_flush_sends_open_traces_and_memory_stays_bounded(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path, max_buffered_spans=100)
    tracer = streaming_provider(exporter).get_tracer("t")
    root = tracer.start_span("never ends")
    for number in range(250):
        with tracer.start_as_current_span(f"step {number}", context=_context_of(root)):
            pass
    time.sleep(0.3)
    assert exporter._buffer.span_count <= 100  # over the budget: sent as partial segments
    assert exporter.force_flush(10_000)
    documents = [decode_message(b) for b in receive_all(moto.client(), url, expect=2)]
    assert len(documents) >= 2 and sum(d["total_spans"] for d in documents) == 250
    assert {d["segment"] for d in documents} <= {"partial", "late"}
    assert exporter.stats()["spans_dropped"] == 0
    root.end()
    exporter.shutdown()


def test_shutdown_sends_what_is_queued_within_its_budget(moto: Any, tmp_path: Path) -> None:
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path, trace_grace_ms=10_000,
                             shutdown_timeout=5.0)  # fmt: skip
    provider = streaming_provider(exporter)
    traces(provider.get_tracer("t"), 40)  # all still in their grace period
    started = time.monotonic()
    provider.shutdown()
    assert time.monotonic() - started < 5.0
    assert len(receive_all(moto.client(), url, expect=40)) == 40
    assert exporter.stats()["messages_spilled"] == 0
    assert exporter.export([]).name == "FAILURE"  # after shutdown
    exporter.shutdown()  # twice is harmless


def _context_of(span: Any) -> Any:
    from opentelemetry import trace

    return trace.set_span_in_context(span)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_a_forked_child_streams_with_threads_and_a_spill_file_of_its_own(
    moto: Any, tmp_path: Path
) -> None:
    """gunicorn-style: the exporter is made before fork(); the child gets fresh threads
    (the parent's do not survive fork) and sends its own traces."""
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path)
    provider = streaming_provider(exporter)
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("in the parent"):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded fork" on 3.12+
        pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            with tracer.start_as_current_span("in the child"):
                pass
            code = 0 if exporter.force_flush(20_000) and exporter.stats()["messages_sent"] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert exporter.force_flush(10_000)
    names = sorted(
        decode_message(b)["trace_name"] for b in receive_all(moto.client(), url, expect=2)
    )
    assert names == ["in the child", "in the parent"]
    provider.shutdown()
