"""Issue 17, failure 1: a script that ends without ``flush()`` (normally, or
with an exception escaping main) loses nothing: the file is written at exit
and a log line says where; ``AIOBS_FLUSH_AT_EXIT=false`` turns that off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _llm_stub import CHAT_ANSWER, llm_env, llm_stub
from _reliability_support import Run, exports_in, load, run_python, write_script

APP = """
    import sys
    import openai
    from aiobs_otel import observer, observe

    @observe
    def answer(question):
        client = openai.OpenAI(max_retries=0)
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    print(f"SESSION={observer.observe(session_name='nightly', labels={'team': 'ml'})}")
    print(answer("What is an API?"))
    if "--flush" in sys.argv:
        print(f"FLUSHED={observer.flush()}")
    if "--raise" in sys.argv:
        raise RuntimeError("main failed")
"""


@pytest.fixture
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as base_url:
        yield llm_env(base_url)


def _run(tmp_path: Path, env: dict[str, str], *flags: str) -> tuple[Path, Run]:
    script = write_script(tmp_path / "src", APP)
    work = tmp_path / "work"
    work.mkdir()
    return work, run_python(script, *flags, cwd=work, env=env)


def test_a_script_that_never_flushes_writes_its_file_at_exit(
    tmp_path: Path, stub_env: dict[str, str]
) -> None:
    work, run = _run(tmp_path, stub_env)
    assert run.result.returncode == 0, run.detail()
    session_id = run.marker("SESSION")
    (export,) = exports_in(work)
    assert export.name == f"{session_id}.json"
    document = load(export)
    assert [s["name"] for s in document["sessions"]] == ["nightly"]
    assert document["sessions"][0]["labels"]["team"] == "ml"
    (call,) = document["events"]
    assert call["response"]["text"] == CHAT_ANSWER
    (function,) = document["function_events"]
    assert function["name"] == "answer" and function["result"] == CHAT_ANSWER
    # one line says what happened and where the file is (absolute: the cwd may be anywhere)
    line = f"observations were not flushed before exit; wrote them to {export}"
    assert line in run.stderr, run.detail()


def test_an_exception_escaping_main_still_writes_the_file(
    tmp_path: Path, stub_env: dict[str, str]
) -> None:
    work, run = _run(tmp_path, stub_env, "--raise")
    assert run.result.returncode == 1
    assert "RuntimeError: main failed" in run.stderr  # the user's traceback, unchanged
    (export,) = exports_in(work)
    assert export.name == f"{run.marker('SESSION')}.json"
    assert len(load(export)["events"]) == 1
    assert f"wrote them to {export}" in run.stderr


def test_the_switch_turns_the_write_at_exit_off(tmp_path: Path, stub_env: dict[str, str]) -> None:
    work, run = _run(tmp_path, {**stub_env, "AIOBS_FLUSH_AT_EXIT": "false"})
    assert run.result.returncode == 0, run.detail()
    assert exports_in(work) == []
    assert "aiobs-otel" not in run.stderr


def test_a_script_that_flushed_writes_nothing_more(
    tmp_path: Path, stub_env: dict[str, str]
) -> None:
    work, run = _run(tmp_path, stub_env, "--flush")
    assert run.result.returncode == 0, run.detail()
    (export,) = exports_in(work)
    assert run.marker("FLUSHED") == export.name
    assert "aiobs-otel" not in run.stderr  # nothing was left to write, nothing to say


def test_llm_obs_out_names_the_file_written_at_exit(
    tmp_path: Path, stub_env: dict[str, str]
) -> None:
    target = tmp_path / "out" / "run.json"
    work, run = _run(tmp_path, {**stub_env, "LLM_OBS_OUT": str(target)})
    assert run.result.returncode == 0, run.detail()
    assert exports_in(work) == []
    assert len(load(target)["events"]) == 1
    assert f"wrote them to {target}" in run.stderr
