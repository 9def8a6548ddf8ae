"""The Observer: sessions, end(), flush() targets and failures, reset()."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel import ExportError, ObservabilityExport, Observer, observe

FlushJson = Callable[..., dict[str, Any]]


@observe
def step(value: int) -> int:
    return value + 1


def names(document: dict[str, Any]) -> list[str]:
    return sorted(e["name"] for e in document["function_events"])


def test_observe_returns_a_new_session_id(observer: Observer, flush_json: FlushJson) -> None:
    session_id = observer.observe()
    assert uuid.UUID(session_id).version == 4
    assert observer.session_id == session_id
    (session,) = flush_json()["sessions"]
    assert session["id"] == session_id
    assert session["name"] == session_id  # the name defaults to the id
    assert session["meta"] == {"pid": os.getpid(), "cwd": os.getcwd()}


def test_observe_twice_keeps_both_sessions(observer: Observer, flush_json: FlushJson) -> None:
    first = observer.observe(session_name="first")
    step(1)
    second = observer.observe(session_name="second")
    step(2)
    assert first != second
    assert observer.session_id == second
    document = flush_json()
    assert [s["id"] for s in document["sessions"]] == [first, second]
    assert [s["name"] for s in document["sessions"]] == ["first", "second"]
    by_arg = {e["args"][0]: e["session_id"] for e in document["function_events"]}
    assert by_arg == {1: first, 2: second}


def test_observe_after_flush_starts_fresh(observer: Observer, flush_json: FlushJson) -> None:
    first = observer.observe()
    step(1)
    assert observer.session_id == first
    before = flush_json()
    assert observer.session_id is None  # a flush closes the session, as in aiobs
    second = observer.observe()
    step(2)
    after = flush_json()
    assert [s["id"] for s in before["sessions"]] == [first]
    assert [s["id"] for s in after["sessions"]] == [second]
    assert [e["args"] for e in after["function_events"]] == [[2]]
    assert all(e["session_id"] == second for e in after["function_events"])


def test_flush_to_explicit_path_creates_directories(observer: Observer, tmp_path: Path) -> None:
    observer.observe()
    step(1)
    target = tmp_path / "deep" / "er" / "run.json"
    assert observer.flush(path=str(target)) == str(target)
    document = json.loads(target.read_text())
    assert names(document) == ["step"]
    assert [p.name for p in target.parent.iterdir()] == ["run.json"]  # no temp file left


def test_flush_uses_llm_obs_out(
    observer: Observer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env.json"
    monkeypatch.setenv("LLM_OBS_OUT", str(target))
    observer.observe()
    assert observer.flush() == str(target)
    assert target.exists()
    other = tmp_path / "explicit.json"
    observer.observe()
    assert observer.flush(path=str(other)) == str(other)  # path= wins over the variable


def test_flush_default_is_session_id_json_in_cwd(observer: Observer, tmp_path: Path) -> None:
    observer.observe()
    session_id = observer.observe()  # the active session names the file, as in aiobs
    written = observer.flush()
    assert written == f"{session_id}.json"
    assert (tmp_path / f"{session_id}.json").exists()


def test_flush_default_without_active_session(observer: Observer, tmp_path: Path) -> None:
    session_id = observer.observe()
    observer.end()
    assert observer.flush() == f"{session_id}.json"
    assert observer.flush() == "llm_observability.json"  # nothing left: aiobs's name
    empty = json.loads((tmp_path / "llm_observability.json").read_text())
    assert empty["sessions"] == [] and empty["events"] == [] and empty["function_events"] == []


def test_flush_overwrites_existing_file(observer: Observer, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old content")
    observer.observe()
    observer.flush(path=str(target))
    assert json.loads(target.read_text())["version"] == 1


def test_include_trace_tree_false(observer: Observer, flush_json: FlushJson) -> None:
    observer.observe()
    step(1)
    document = flush_json(include_trace_tree=False)
    assert document["trace_tree"] is None
    assert names(document) == ["step"]


def test_unwritable_path_raises_and_keeps_data(
    observer: Observer, tmp_path: Path, flush_json: FlushJson
) -> None:
    session_id = observer.observe(labels={"team": "ml"})
    step(1)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    bad = blocker / "sub" / "out.json"
    with pytest.raises(OSError) as info:
        observer.flush(path=str(bad))
    assert str(bad) in str(info.value)
    assert "cannot write" in str(info.value)
    step(2)  # outside any session now: the failed flush still closed it
    document = flush_json()
    assert [s["id"] for s in document["sessions"]] == [session_id]
    assert [e["args"] for e in document["function_events"]] == [[1]]
    assert document["sessions"][0]["labels"]["team"] == "ml"


def test_path_that_is_a_directory(observer: Observer, tmp_path: Path) -> None:
    observer.observe()
    step(1)
    with pytest.raises(OSError, match="cannot write the export"):
        observer.flush(path=str(tmp_path))
    target = tmp_path / "ok.json"
    observer.flush(path=str(target))
    assert names(json.loads(target.read_text())) == ["step"]


def test_end_sets_ended_at(observer: Observer, flush_json: FlushJson) -> None:
    observer.end()  # nothing active: harmless
    observer.observe()
    observer.end()
    assert observer.session_id is None
    observer.end()
    (session,) = flush_json()["sessions"]
    assert session["ended_at"] is not None
    assert session["ended_at"] >= session["started_at"]


def test_flush_ends_the_active_session(observer: Observer, flush_json: FlushJson) -> None:
    observer.observe()
    (session,) = flush_json()["sessions"]
    assert session["ended_at"] is not None


def test_reset_forgets_everything(observer: Observer, flush_json: FlushJson) -> None:
    observer.observe(labels={"team": "ml"})
    step(1)
    observer.reset()
    assert observer.session_id is None
    with pytest.raises(RuntimeError):
        observer.get_labels()
    document = flush_json()
    assert document["sessions"] == [] and document["function_events"] == []


def test_flush_with_exporter(observer: Observer, tmp_path: Path) -> None:
    received: list[tuple[ObservabilityExport, dict[str, Any]]] = []

    class Collecting:
        def export(self, data: ObservabilityExport, **kwargs: Any) -> str:
            received.append((data, kwargs))
            return "exported"

    session_id = observer.observe()
    step(1)
    assert observer.flush(exporter=Collecting(), bucket="b") == "exported"
    ((data, kwargs),) = received
    assert isinstance(data, ObservabilityExport)
    assert kwargs == {"bucket": "b"}
    assert data.sessions[0].id == session_id
    assert [e.name for e in data.function_events] == ["step"]
    assert list(tmp_path.iterdir()) == []  # no file when an exporter is given


def test_failing_exporter_keeps_data(observer: Observer, flush_json: FlushJson) -> None:
    class Failing:
        def export(self, data: ObservabilityExport, **kwargs: Any) -> None:
            raise ConnectionError("bucket unreachable")

    observer.observe()
    step(1)
    with pytest.raises(ExportError, match="bucket unreachable") as info:
        observer.flush(exporter=Failing())
    assert isinstance(info.value.cause, ConnectionError)
    assert names(flush_json()) == ["step"]


def test_exporter_reporting_failure_keeps_data(observer: Observer, flush_json: FlushJson) -> None:
    from aiobs_otel.exporters import CustomExporter

    refusing = CustomExporter(lambda data, options: {"success": False, "error": "full"})
    observer.observe()
    step(1)
    result = observer.flush(exporter=refusing)
    assert result.success is False and result.error == "full"
    assert names(flush_json()) == ["step"]


def test_observe_again_ends_the_previous_session(observer: Observer, flush_json: FlushJson) -> None:
    first = observer.observe(session_name="first")
    second = observer.observe(session_name="second")
    sessions = {s["id"]: s for s in flush_json()["sessions"]}
    assert sessions[first]["ended_at"] is not None
    assert set(sessions) == {first, second}


def test_persist_false_writes_no_file(observer: Observer, tmp_path: Path) -> None:
    observer.observe()
    step(1)
    assert observer.flush(persist=False) is None
    assert list(tmp_path.iterdir()) == []
    observer.flush(path=str(tmp_path / "next.json"))
    assert names(json.loads((tmp_path / "next.json").read_text())) == []  # already flushed


def test_span_ending_after_flush_goes_to_next_export(
    observer: Observer, flush_json: FlushJson
) -> None:
    session_id = observer.observe()

    @observe(name="late")
    def late() -> Any:
        yield 1
        yield 2

    running = late()
    next(running)  # the span is open
    first = flush_json()
    assert first["function_events"] == []
    list(running)  # the span ends after the flush
    second = flush_json()
    assert [e["name"] for e in second["function_events"]] == ["late"]
    assert [s["id"] for s in second["sessions"]] == [session_id]  # found in the archive


def test_spans_outside_sessions_are_not_exported(
    observer: Observer, flush_json: FlushJson, caplog: pytest.LogCaptureFixture
) -> None:
    observer.observe()
    observer.end()
    step(1)
    with caplog.at_level("WARNING", logger="aiobs_otel"):
        document = flush_json()
    assert document["function_events"] == []
    assert "outside any observe() session" in caplog.text


def test_explicit_provider_observer(tmp_path: Path) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    own = Observer(tracer_provider=provider)
    session_id = own.observe()
    observe(name="mine")(lambda: None)()  # goes to the observer's provider
    target = tmp_path / "own.json"
    own.flush(path=str(target))
    document = json.loads(target.read_text())
    assert [e["name"] for e in document["function_events"]] == ["mine"]
    assert document["function_events"][0]["session_id"] == session_id
    assert own.tracer_provider is provider
    own.reset()


def test_second_observer_on_the_same_provider_warns(
    observer: Observer, caplog: pytest.LogCaptureFixture
) -> None:
    observer.observe()  # the global observer owns the process provider
    observer.observe()  # the same observer again: no warning
    assert "another Observer" not in caplog.text
    other = Observer()
    with caplog.at_level("WARNING", logger="aiobs_otel"):
        other.observe()
    assert "another Observer is already attached" in caplog.text
    other.reset()


def test_span_started_after_end_under_a_session_span_stays_in_that_session(
    observer: Any, tmp_path: Any
) -> None:
    @observe
    def child() -> int:
        return 1

    @observe
    def parent() -> int:
        observer.end()  # the session ends while parent is still running
        return child()

    session_id = observer.observe(session_name="late-child")
    parent()
    document = json.loads(Path(observer.flush(path=str(tmp_path / "late.json"))).read_text())
    names = {e["name"]: e["session_id"] for e in document["function_events"]}
    assert names == {"parent": session_id, "child": session_id}
