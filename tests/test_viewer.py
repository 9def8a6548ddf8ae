"""``aiobs-otel view``: the terminal tree, the HTML page, and bad input."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel import observe
from aiobs_otel.cli import main
from aiobs_otel.exporters.models import ObservabilityExport


@observe
def summarize(text: str) -> str:
    return text[:10]


@observe
def critique(summary: str) -> str:
    raise ValueError("summary too short")


@observe
def pipeline(query: str) -> str:
    summary = summarize(query * 3)
    with contextlib.suppress(ValueError):
        critique(summary)
    return summary


def _chat_event(parent: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A provider call as the chat instrumentor records it, nested under ``parent``."""
    event = {
        "provider": "openai",
        "api": "chat.completions.create",
        "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        "response": {
            "model": "gpt-4o-mini-2024-07-18",
            "text": "Hello <b>there</b>",
            "usage": {
                "prompt_tokens": 12,
                "completion_tokens": 40,
                "total_tokens": 52,
                "prompt_tokens_details": {"cached_tokens": 6},
            },
        },
        "error": None,
        "started_at": parent["started_at"],
        "ended_at": parent["started_at"] + 0.0042,
        "duration_ms": 4.2,
        "callsite": None,
        "span_id": "00000000000000c1",
        "parent_span_id": parent["span_id"],
        "trace_id": parent["trace_id"],
        "session_id": parent["session_id"],
    }
    event.update(changes)
    return event


@pytest.fixture
def export_file(observer: Any, tmp_path: Path) -> Path:
    observer.observe(session_name="research-run", labels={"environment": "dev"})
    pipeline("What is an API?")
    observer.end()
    path = tmp_path / "run.json"
    observer.flush(path=str(path), include_trace_tree=False)
    document = json.loads(path.read_text())
    by_name = {e["name"]: e for e in document["function_events"]}
    # Room for the 4.2 ms provider calls below inside their parents.
    for name, ms in (("pipeline", 20.0), ("summarize", 10.0)):
        by_name[name]["duration_ms"] = ms
        by_name[name]["ended_at"] = by_name[name]["started_at"] + ms / 1000
    summarize_event = by_name["summarize"]
    document["events"] = [
        _chat_event(summarize_event),
        _chat_event(
            summarize_event,
            span_id="00000000000000c2",
            request={"model": "error-429"},
            response=None,
            error="RateLimitError: Error code: 429",
        ),
    ]
    path.write_text(json.dumps(document))
    ObservabilityExport.model_validate(document)
    return path


def test_terminal_tree(
    export_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping, so a line is one node
    assert main(["view", str(export_file)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("research-run (") and "environment=dev" in lines[0]
    assert "aiobs_hostname" not in lines[0]  # system labels hidden when user labels exist

    def indent(fragment: str) -> int:
        line = next(line for line in lines if fragment in line)
        return len(line) - len(line.lstrip(" │├└─"))

    assert indent("pipeline()") < indent("summarize()") < indent("gpt-4o-mini")
    assert indent("summarize()") == indent("critique()")
    chat = next(line for line in lines if "openai chat.completions.create  gpt-4o-mini" in line)
    assert "12 in -> 40 out (6 cached) tokens" in chat
    assert re.search(r"4\.2 ms", chat)
    assert "ValueError: summary too short" in out
    assert "RateLimitError: Error code: 429" in out
    assert "Hello <b>there</b>" in out
    assert lines[-1] == ("1 session(s), 2 provider call(s), 3 function call(s), 2 error(s)")


def test_terminal_highlights_errors_in_red(export_file: Path) -> None:
    from rich.console import Console

    from aiobs_otel.viewer import load_export, render_terminal

    console = Console(record=True, force_terminal=True, color_system="truecolor", width=120)
    render_terminal(load_export(str(export_file)), console)
    html = console.export_html(inline_styles=True)
    red = re.findall(r'<span style="[^"]*color: #800000[^"]*">([^<]*)</span>', html)
    assert any("critique()" in s for s in red)
    assert any("summary too short" in s for s in red)
    assert not any("summarize()" in s for s in red)


def test_html_page(export_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trace.html"
    assert main(["view", str(export_file), "--html", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"Wrote {out}"
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for text in ("research-run", "environment=dev", "pipeline()", "summarize()", "critique()"):
        assert text in page
    assert "12 in -&gt; 40 out (6 cached)" in page
    assert "Hello &lt;b&gt;there&lt;/b&gt;" in page and "<b>there</b>" not in page
    # Self-contained: no scripts, no links to anything outside the page.
    assert "<script" not in page and "http://" not in page and "https://" not in page
    # The waterfall: one positioned bar per span, the failed ones marked.
    bars = re.findall(r'class="bar ([a-z ]+)" style="left:([\d.]+)%;width:([\d.]+)%"', page)
    assert len(bars) == 5
    assert [kind for kind, _, _ in bars].count("function error") == 1
    assert [kind for kind, _, _ in bars].count("provider error") == 1
    first_left, first_width = float(bars[0][1]), float(bars[0][2])
    assert first_left == 0.0 and first_width == pytest.approx(100.0, abs=0.01)


def test_view_without_trace_tree_and_orphans(tmp_path: Path, capsys: Any) -> None:
    document = {
        "sessions": [],
        "events": [
            _chat_event(
                {
                    "started_at": 1.0,
                    "span_id": "00000000000000aa",
                    "trace_id": "0" * 32,
                    "session_id": "gone",
                }
            )
        ],
        "function_events": [],
        "trace_tree": None,
        "generated_at": 2.0,
        "version": 1,
    }
    path = tmp_path / "orphan.json"
    path.write_text(json.dumps(document))
    assert main(["view", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("(no session)") and "gpt-4o-mini" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ('{"sessions": []}', "not an ObservabilityExport"),
        ("[1, 2]", "not an ObservabilityExport"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    assert main(["view", str(path)]) == 2
    assert main(["view", str(path), "--html", str(tmp_path / "x.html")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    errors = captured.err.splitlines()
    assert len(errors) == 2 and all(message in line for line in errors)
    assert not (tmp_path / "x.html").exists()


def test_missing_rich_is_a_friendly_message(
    export_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "rich.console", None)
    assert main(["view", str(export_file)]) == 1
    hint = capsys.readouterr().err
    # the package is installed from its checkout: the hint names it, runnable as printed
    assert f"-m pip install '{Path(__file__).resolve().parents[1]}[view]'" in hint


def test_usage_errors_exit_2() -> None:
    assert main([]) == 2
    with pytest.raises(SystemExit) as stopped:
        main(["view"])
    assert stopped.value.code == 2
