"""Zero-code files: under ``opentelemetry-instrument`` a process that observed
nothing writes no file (an app that runs subprocesses leaves no stray exports),
and when user code calls ``observe()`` the file is named after its session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from _llm_stub import llm_env, llm_stub
from _zero_code_support import APPS, assert_clean_run, run_instrumented


@pytest.fixture(scope="module")
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as url:
        yield llm_env(url)


def test_subprocesses_that_observe_nothing_write_nothing(
    stub_env: dict[str, str], tmp_path: Path
) -> None:
    result = run_instrumented(APPS / "spawner_app.py", cwd=tmp_path, env=stub_env)
    assert_clean_run(result)
    assert result.stdout.split() == ["lint", "build", "package"]  # the children did run
    assert list(tmp_path.iterdir()) == []  # nor did the parent, which observed nothing


def test_only_the_process_that_observed_writes(stub_env: dict[str, str], tmp_path: Path) -> None:
    result = run_instrumented(APPS / "spawner_app.py", "--chat", cwd=tmp_path, env=stub_env)
    assert_clean_run(result)
    (written,) = tmp_path.iterdir()
    document = json.loads(written.read_text())
    (session,) = document["sessions"]
    assert written.name == f"{session['id']}.json" and session["name"] == "spawner_app"
    assert [e["api"] for e in document["events"]] == ["chat.completions.create"]


@pytest.mark.parametrize("ended", [False, True], ids=["active", "ended"])
def test_the_file_is_named_after_the_users_session(
    stub_env: dict[str, str], tmp_path: Path, ended: bool
) -> None:
    args = ["--end"] if ended else []
    result = run_instrumented(APPS / "observe_no_flush_app.py", *args, cwd=tmp_path, env=stub_env)
    assert_clean_run(result)
    session_id = result.stdout.split()[-1]
    assert [p.name for p in tmp_path.iterdir()] == [f"{session_id}.json"]
    document = json.loads((tmp_path / f"{session_id}.json").read_text())
    # the implicit session, empty once the user's took over, is left out
    assert [(s["id"], s["name"]) for s in document["sessions"]] == [(session_id, "user-run")]
    assert [e["session_id"] for e in document["events"]] == [session_id]
