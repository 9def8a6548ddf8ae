"""flush(exporter=...): the exporter interface, CustomExporter and CompositeExporter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import aiobs_otel
from aiobs_otel import BaseExporter, ExportError, ExportResult, ObservabilityExport, Observer
from aiobs_otel import observe as observe_function
from aiobs_otel.exporters import CompositeExporter, CustomExporter


@observe_function
def work(value: int) -> int:
    return value + 1


class Collect(BaseExporter):
    """Keeps what it was given."""

    name = "collect"

    def __init__(self) -> None:
        self.received: list[tuple[ObservabilityExport, dict[str, Any]]] = []

    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        self.received.append((data, kwargs))
        return ExportResult(success=True, destination="memory", bytes_written=1)


class Broken(BaseExporter):
    name = "broken"

    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        raise ExportError("destination is down")


def empty_export() -> ObservabilityExport:
    return ObservabilityExport(sessions=[], events=[], function_events=[], generated_at=0.0)


def test_public_names() -> None:
    assert {"BaseExporter", "ExportResult", "ExportError"} <= set(aiobs_otel.__all__)
    from aiobs_otel import exporters

    for name in ["CustomExporter", "CompositeExporter", "GCSExporter", "BaseExporter"]:
        assert name in exporters.__all__ and hasattr(exporters, name)


def test_export_result_and_error_basics() -> None:
    ok = ExportResult(True, "gs://b/x.json", 12)
    assert (ok.metadata, ok.error) == ({}, None)
    assert repr(ok) == "ExportResult(success=True, destination='gs://b/x.json', bytes=12)"
    assert repr(ExportResult(False, error="boom")) == "ExportResult(success=False, error='boom')"
    cause = OSError("disk")
    error = ExportError("failed", cause=cause)
    assert (str(error), error.cause, error.__cause__) == ("failed", cause, cause)
    with pytest.raises(TypeError):
        BaseExporter()  # type: ignore[abstract]
    assert Collect().validate(empty_export()) is True


def test_flush_gives_the_model_and_options_and_returns_the_result(
    observer: Observer, tmp_path: Path
) -> None:
    session_id = observer.observe(session_name="to-sink")
    work(1)
    sink = Collect()
    result = observer.flush(exporter=sink, table="runs")
    assert isinstance(result, ExportResult) and result.destination == "memory"
    ((data, options),) = sink.received
    assert isinstance(data, ObservabilityExport)
    assert [s.id for s in data.sessions] == [session_id]
    assert [e.name for e in data.function_events] == ["work"]
    assert options == {"table": "runs"}
    assert list(tmp_path.glob("*.json")) == []  # an exporter replaces the local file
    again = Collect()
    observer.flush(exporter=again)
    assert again.received[0][0].function_events == []  # handed over once


def test_failing_exporter_raises_and_keeps_the_data(observer: Observer) -> None:
    observer.observe()
    work(1)
    with pytest.raises(ExportError, match="destination is down"):
        observer.flush(exporter=Broken())
    retry = Collect()
    observer.flush(exporter=retry)
    assert [e.args for e in retry.received[0][0].function_events] == [[1]]


def test_any_object_with_export_is_a_sink(observer: Observer) -> None:
    class Duck:  # not a BaseExporter: flush only needs export()
        def export(self, data: ObservabilityExport, **kwargs: Any) -> str:
            return f"{len(data.function_events)} events"

    observer.observe()
    work(2)
    assert observer.flush(exporter=Duck()) == "1 events"


def test_other_exceptions_from_an_exporter_become_export_error(observer: Observer) -> None:
    class Crashing(BaseExporter):
        def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
            raise KeyError("bucket")

    observer.observe()
    work(2)
    with pytest.raises(ExportError, match="'base' failed") as raised:
        observer.flush(exporter=Crashing())
    assert isinstance(raised.value.cause, KeyError)
    kept = Collect()
    observer.flush(exporter=kept)
    assert len(kept.received[0][0].function_events) == 1


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, (True, None, None, {"handler": "mine"}, None)),
        (
            {"destination": "db://t", "bytes_written": 5, "metadata": {"rows": 1}},
            (True, "db://t", 5, {"rows": 1}, None),
        ),
        ({"success": False, "error": "quota"}, (False, None, None, {}, "quota")),
        (ExportResult(True, "x://y"), (True, "x://y", None, {}, None)),
        (42, (True, None, None, {"handler": "mine", "result": "42"}, None)),
    ],
)
def test_custom_exporter_result_shapes(returned: Any, expected: tuple[Any, ...]) -> None:
    result = CustomExporter(lambda data, options: returned, name="mine").export(empty_export())
    got = (result.success, result.destination, result.bytes_written, result.metadata, result.error)
    assert got == expected


def test_custom_exporter_merges_options_and_wraps_errors() -> None:
    seen: list[dict[str, Any]] = []

    def handler(data: ObservabilityExport, options: dict[str, Any]) -> None:
        seen.append(options)
        if options.get("fail"):
            raise RuntimeError("API returned 500")

    exporter = CustomExporter(handler, default_options={"url": "u", "retries": 1})
    exporter.export(empty_export(), retries=3)
    assert seen == [{"url": "u", "retries": 3}]
    with pytest.raises(ExportError, match="API returned 500") as raised:
        exporter.export(empty_export(), fail=True)
    assert isinstance(raised.value.cause, RuntimeError)
    with pytest.raises(ValueError, match="callable"):
        CustomExporter("not a function")  # type: ignore[arg-type]


def test_custom_exporter_writes_what_flush_gives_it(observer: Observer, tmp_path: Path) -> None:
    def to_file(data: ObservabilityExport, options: dict[str, Any]) -> dict[str, Any]:
        target = tmp_path / options["name"]
        target.write_text(data.model_dump_json(), encoding="utf-8")
        return {"destination": str(target)}

    observer.observe()
    work(3)
    result = observer.flush(exporter=CustomExporter(to_file), name="out.json")
    document = json.loads(Path(result.destination).read_text(encoding="utf-8"))
    assert [e["result"] for e in document["function_events"]] == [4]


def test_composite_runs_every_exporter_and_reports_each() -> None:
    first, last = Collect(), Collect()
    composite = CompositeExporter([first, Broken()]).add(last)
    result = composite.export(empty_export(), tag="t")
    assert not result.success
    assert result.error == "broken: destination is down"
    assert result.metadata["exporters_count"] == 3
    assert [(r["exporter"], r["success"]) for r in result.metadata["results"]] == [
        ("collect", True),
        ("broken", False),
        ("collect", True),
    ]
    assert first.received[0][1] == {"tag": "t"} and len(last.received) == 1


def test_composite_reports_a_sink_that_returns_failure() -> None:
    refusing = CustomExporter(lambda d, o: {"success": False, "error": "full"}, name="refusing")
    result = CompositeExporter([refusing, Collect()]).export(empty_export())
    assert (result.success, result.error) == (False, "refusing: full")


def test_composite_stop_on_error_raises_and_skips_the_rest(observer: Observer) -> None:
    after = Collect()
    composite = CompositeExporter([Broken(), after], stop_on_error=True)
    with pytest.raises(ExportError, match="destination is down"):
        composite.export(empty_export())
    assert after.received == []
    with pytest.raises(ValueError, match=r"^At least one exporter is required"):
        CompositeExporter([])


def test_composite_wraps_foreign_exceptions_when_stopping() -> None:
    class Unreachable(BaseExporter):
        def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
            raise OSError("no route to host")

    with pytest.raises(ExportError, match="no route") as raised:
        CompositeExporter([Unreachable()], stop_on_error=True).export(empty_export())
    assert isinstance(raised.value.cause, OSError)
    result = CompositeExporter([Unreachable()]).export(empty_export())
    assert result.error == "base: no route to host"
