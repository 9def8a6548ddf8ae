"""The export written as a stream (large exports, and every ``flush_json`` flush
in the other tests) is the document ``assemble`` builds, parsed the same by
any JSON reader; the flush that writes it holds one event at a time."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel import Observer, observe
from aiobs_otel.exporters import file as file_sink
from aiobs_otel.exporters.base import Payload
from aiobs_otel.exporters.conversion import build_index
from aiobs_otel.exporters.encoding import json_bytes
from aiobs_otel.exporters.source import ExportSource
from aiobs_otel.exporters.stream import write_export


@observe
def leaf(step: int, note: str) -> dict[str, Any]:
    return {"step": step, "note": note, "ratio": step / 3}


@observe(name="pipeline", enh_prompt=True)
def pipeline(count: int) -> list[dict[str, Any]]:
    return [leaf(i, f"note {i} \ud800 {'é' * (i % 3)}") for i in range(count)]


@observe
def odd_values() -> dict[str, Any]:
    return {"nan": math.nan, "inf": -math.inf, "bytes": b"\x00\x01"}


def _source(observer: Observer, *, tree: bool = True) -> ExportSource:
    """The next flush's export, taken from the observer's buffer as flush() takes it."""
    batch = observer._buffer.drain()  # the records flush() would write
    index = build_index(batch.records, batch.bridges, batch.remote_parents)
    sessions = [{"id": "s", "name": "stream", "started_at": 0.0, "ended_at": None,
                 "meta": {}, "labels": {"team": "ml"}}]  # fmt: skip
    return ExportSource(index, sessions, tree, generated_at=1234.5)


@pytest.mark.parametrize("tree", [True, False])
def test_the_stream_is_the_document(observer: Observer, tmp_path: Path, tree: bool) -> None:
    observer.observe(session_name="stream")
    pipeline(30)
    pipeline(5)
    odd_values()
    source = _source(observer, tree=tree)
    streamed = io.BytesIO()
    written, events = source.stream(streamed)
    assert written == len(streamed.getvalue())
    assert events == 38
    document = json.loads(json_bytes(source.document()))
    assert json.loads(streamed.getvalue()) == document
    assert (document["trace_tree"] is None) is not tree
    assert document["enh_prompt_traces"] and len(document["enh_prompt_traces"]) == 2
    [odd] = [e for e in document["function_events"] if e["name"] == "odd_values"]
    assert odd["result"]["nan"] == "NaN"  # valid JSON for any parser
    streamed.getvalue().decode("utf-8")  # lone surrogates became U+FFFD


def test_a_large_flush_is_streamed_compact(observer: Observer, tmp_path: Path) -> None:
    observer.observe(session_name="large")
    for _ in range(6):
        pipeline(200)  # 1,206 events: beyond the indented limit
    path = tmp_path / "large.json"
    assert observer.flush(path=str(path)) == str(path)
    text = path.read_text(encoding="utf-8")
    assert "\n" not in text  # compact, written as a stream
    document = json.loads(text)
    assert len(document["function_events"]) == 1206
    roots = document["trace_tree"]
    assert [len(root["children"]) for root in roots] == [200] * 6
    child = roots[0]["children"][0]
    assert child["event_type"] == "function" and child["children"] == []
    assert child["name"] == "leaf" and child["parent_span_id"] == roots[0]["span_id"]
    assert list(document)[:4] == ["sessions", "events", "function_events", "trace_tree"]


def test_a_small_flush_stays_indented(observer: Observer, tmp_path: Path) -> None:
    observer.observe(session_name="small")
    pipeline(3)
    path = tmp_path / "small.json"
    observer.flush(path=str(path))
    assert path.read_text(encoding="utf-8").startswith('{\n  "sessions"')


def test_the_file_is_the_upload(observer: Observer, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """What a flush uploads (shepherd) is the file it wrote, not a second conversion."""
    monkeypatch.setattr(file_sink, "PRETTY_EVENT_LIMIT", -1)
    observer.observe(session_name="upload")
    pipeline(4)
    payload = Payload(source=_source(observer))
    path = tmp_path / "upload.json"
    file_sink.write_json_atomic(str(path), payload)
    assert payload.compact_bytes() == path.read_bytes()
    assert payload.event_count == 5


def test_an_event_that_cannot_be_converted_is_left_out(observer: Observer) -> None:
    observer.observe(session_name="broken")
    pipeline(2)
    source = _source(observer)
    records = source.index.records
    position = next(i for i, r in enumerate(records) if r.is_function)

    class Broken:
        """A record whose conversion fails (a bug, or a value that breaks)."""

        def __init__(self, record: Any) -> None:
            self.facts, self.error, self.is_function = record.facts, None, True
            self.callsite = record.callsite

        def event_fields(self) -> dict[str, Any]:
            raise RuntimeError("cannot convert")

    broken = records[position] = Broken(records[position])  # type: ignore[call-overload]
    reported: list[Any] = []
    out = io.BytesIO()
    _, events = write_export(out, source.index, source.sessions, include_trace_tree=True,
                             generated_at=1.0, on_error=reported.append)  # fmt: skip
    assert events == 2 and reported == [broken]
    assert len(json.loads(out.getvalue())["function_events"]) == 2
