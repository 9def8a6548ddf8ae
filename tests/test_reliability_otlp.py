"""Issue 17, failure 3: a sick OTLP backend costs telemetry, not the program.

A black-holed endpoint (accepts, never answers) or one answering 503 slowly:
``observer.flush()`` returns in under 100 ms, the exit takes at most
``AIOBS_EXIT_TIMEOUT`` (default 5 s) + 1 s with traces and metrics draining
concurrently (zero-code's providers too), and the JSON file is written before
that wait. The standard switches: ``test_reliability_switches.py``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import pytest

from _llm_stub import llm_env, llm_stub, otlp_http_sink
from _reliability_support import (
    black_hole,
    clean_env,
    exports_in,
    load,
    run_python,
    slow_unavailable,
    write_script,
)

APP = """
    import sys, time
    import openai
    from aiobs_otel import observer, observe

    client = openai.OpenAI(max_retries=0)

    @observe
    def ask(question):
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}])

    observer.observe(session_name="first")
    for i in range(3):
        ask(f"question {i}")
    time.sleep(0.5)  # the batch processor is exporting now, to a backend that does not answer
    started = time.perf_counter()
    print(f"FLUSHED={observer.flush()}")
    print(f"FLUSH_SECONDS={time.perf_counter() - started}")
    print(f"SESSION={observer.observe(session_name='left-for-exit')}")
    ask("one more")
    print(f"END={time.time()}", flush=True)
"""
# Export early (the exporters are stuck before the program ends) and often.
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_METRIC_EXPORT_INTERVAL": "100"}


@pytest.fixture
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as base_url:
        yield llm_env(base_url)


SICK: dict[str, Callable[[], AbstractContextManager[str]]] = {
    "black-holed": black_hole,
    "503-after-2s": lambda: slow_unavailable(2.0),
}


def exit_allowance(healthy: float) -> float:
    """What the exit may take beyond the timeout: 1 s (the issue's bound), or
    more on a loaded machine, where the interpreter's own teardown after a
    healthy run (measured beside) already takes longer."""
    return max(1.0, healthy + 0.5)


_healthy_exit: dict[str, float] = {}


def healthy_exit(tmp_path: Path, env: dict[str, str]) -> float:
    """Seconds from the app's last line to its exit with a healthy OTLP receiver."""
    if "observe" not in _healthy_exit:
        script = write_script(tmp_path / "healthy", APP)
        with otlp_http_sink() as (endpoint, _):
            run = run_python(script, cwd=script.parent,
                             env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})  # fmt: skip
        assert run.result.returncode == 0, run.detail()
        _healthy_exit["observe"] = run.seconds_after("END")
    return _healthy_exit["observe"]


@pytest.mark.parametrize(("sickness", "timeout"), [("black-holed", 3), ("503-after-2s", 2)])
def test_flush_is_instant_and_exit_bounded_with_a_sick_backend(
    tmp_path: Path, stub_env: dict[str, str], sickness: str, timeout: int
) -> None:
    env = {**stub_env, **FAST_EXPORT, "AIOBS_EXIT_TIMEOUT": str(timeout)}
    script = write_script(tmp_path / "src", APP)
    work = tmp_path / "work"
    work.mkdir()
    with SICK[sickness]() as endpoint:
        run = run_python(script, cwd=work, env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    assert run.result.returncode == 0, run.detail()
    assert float(run.marker("FLUSH_SECONDS")) < 0.1, run.detail()
    assert len(load(work / run.marker("FLUSHED"))["events"]) == 3
    lived = run.seconds_after("END")
    assert lived <= timeout + exit_allowance(healthy_exit(tmp_path, env)), run.detail()
    # the session left for the exit was written first, before the wait on OTLP
    left = work / f"{run.marker('SESSION')}.json"
    assert len(load(left)["events"]) == 1
    assert left.stat().st_mtime - float(run.marker("END")) < 1.0
    assert "did not finish within" in run.stderr, run.detail()


def test_zero_code_writes_the_file_first_and_exits_within_the_timeout(
    tmp_path: Path, stub_env: dict[str, str]
) -> None:
    """opentelemetry-instrument's own providers (built by the SDK configurator:
    OTLP traces and metrics) are drained within the same bound."""
    script = write_script(tmp_path / "src", """
        import time
        import openai
        client = openai.OpenAI(max_retries=0)
        for i in range(3):
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"q{i}"}])
        time.sleep(0.5)
        print(f"END={time.time()}", flush=True)
    """)  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    with otlp_http_sink() as (endpoint, _):
        healthy = _zero_code_run(script, tmp_path / "healthy", {**stub_env, **FAST_EXPORT,
                                 "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})  # fmt: skip
    with black_hole() as endpoint:
        sick = _zero_code_run(script, work, {**stub_env, **FAST_EXPORT,
                              "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})  # fmt: skip
    (export,) = exports_in(work)
    assert len(load(export)["events"]) == 3
    assert sick.file_after_end < 1.0, sick.detail  # the file first...
    # ...then at most the default timeout (5 s), and the rest of the exit
    assert sick.exit_after_end <= 5.0 + exit_allowance(healthy.exit_after_end), sick.detail
    assert "did not finish within 5s" in sick.detail


@dataclass
class _Timed:
    file_after_end: float  # when the export file appeared, after the app's last line
    exit_after_end: float
    detail: str


def _zero_code_run(script: Path, work: Path, env: dict[str, str]) -> _Timed:
    """The script under opentelemetry-instrument, watched: when its file
    appears, when it exits (both after its END= line)."""
    work.mkdir(parents=True, exist_ok=True)
    launcher = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    process = subprocess.Popen(
        [launcher, sys.executable, str(script)], cwd=work, env=clean_env(env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    file_seen_at = None
    while process.poll() is None:
        if file_seen_at is None and exports_in(work):
            file_seen_at = time.time()
        time.sleep(0.02)
    exited_at = time.time()
    stdout, stderr = process.communicate()
    detail = f"stdout:\n{stdout}\nstderr:\n{stderr}"
    assert process.returncode == 0, detail
    assert file_seen_at is not None, detail
    end = float(stdout.split("END=")[1].split()[0])
    return _Timed(file_seen_at - end, exited_at - end, detail)
