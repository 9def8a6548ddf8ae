"""Issue 17, failure 3: a sick OTLP backend costs telemetry, not the program.

A black-holed endpoint (accepts, never answers) or one answering 503 slowly:
``observer.flush()`` returns in under 100 ms, the exit takes at most
``AIOBS_EXIT_TIMEOUT`` (default 5 s) + 1 s with traces and metrics draining
concurrently, and the JSON file is written before that wait. The standard
``OTEL_*`` switches are honoured by the pipeline ``observe()`` builds, and by
zero-code's."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
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


@pytest.mark.parametrize(("sickness", "timeout"), [("black-holed", None), ("503-after-2s", 2)])
def test_flush_is_instant_and_exit_bounded_with_a_sick_backend(
    tmp_path: Path, stub_env: dict[str, str], sickness: str, timeout: int | None
) -> None:
    env = {**stub_env, **FAST_EXPORT}
    if timeout is not None:
        env["AIOBS_EXIT_TIMEOUT"] = str(timeout)
    script = write_script(tmp_path / "src", APP)
    work = tmp_path / "work"
    work.mkdir()
    with SICK[sickness]() as endpoint:
        run = run_python(script, cwd=work, env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    assert run.result.returncode == 0, run.detail()
    assert float(run.marker("FLUSH_SECONDS")) < 0.1, run.detail()
    assert len(load(work / run.marker("FLUSHED"))["events"]) == 3
    budget = timeout if timeout is not None else 5.0  # the documented default
    lived = run.seconds_after("END")
    assert lived <= budget + 1, run.detail()
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
    launcher = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    with black_hole() as endpoint:
        env = clean_env({**stub_env, **FAST_EXPORT, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        process = subprocess.Popen(
            [launcher, sys.executable, str(script)], cwd=work, env=env,
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
    end = float(stdout.split("END=")[1].split()[0])
    (export,) = exports_in(work)
    assert len(load(export)["events"]) == 3
    assert file_seen_at is not None, detail
    assert file_seen_at - end < 1.0, detail  # the file first...
    assert exited_at - end <= 5.0 + 1.0, detail  # ...then at most the default timeout
    assert "did not finish within 5s" in stderr, detail


# --- the standard switches ---------------------------------------------------------------

SWITCHES = """
    import openai
    from aiobs_otel import observer
    observer.observe(session_name="switches")
    openai.OpenAI(max_retries=0).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    print(f"FLUSHED={observer.flush()}")
"""


@pytest.mark.parametrize(
    ("switches", "traces", "metrics"),
    [
        ({}, True, True),  # an endpoint alone: both signals go to it
        ({"OTEL_METRICS_EXPORTER": "none"}, True, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False, True),
        ({"OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none"}, False, False),
    ],
    ids=["default", "metrics-none", "traces-none", "traces-console"],
)
def test_the_pipeline_observe_builds_honours_the_exporter_switches(
    tmp_path: Path, stub_env: dict[str, str], switches: dict[str, str], traces: bool,
    metrics: bool,
) -> None:  # fmt: skip
    script = write_script(tmp_path / "src", SWITCHES)
    work = tmp_path / "work"
    work.mkdir()
    with otlp_http_sink() as (endpoint, received):
        env = {**stub_env, **switches, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        run = run_python(script, cwd=work, env=env)
        paths = {path for path, _ in received}
    assert run.result.returncode == 0, run.detail()
    assert ("/v1/traces" in paths) is traces, paths
    assert ("/v1/metrics" in paths) is metrics, paths
    assert len(load(work / run.marker("FLUSHED"))["events"]) == 1  # the file, whatever OTLP does
    if switches.get("OTEL_TRACES_EXPORTER") == "console":
        assert '"name": "chat gpt-4o-mini"' in run.stdout


DISABLED = """
    import openai
    from aiobs_otel import observer, observe

    @observe
    def ask():
        return openai.OpenAI(max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

    observer.observe(session_name="disabled")
    ask()
    print(f"FLUSHED={observer.flush()}")
    observer.observe(session_name="left-for-exit")
    ask()
"""


@pytest.mark.parametrize(
    "launcher", [None, "opentelemetry-instrument"], ids=["observe", "zero-code"]
)
def test_otel_sdk_disabled_records_nothing_and_writes_no_file(
    tmp_path: Path, stub_env: dict[str, str], launcher: str | None
) -> None:
    script = write_script(tmp_path / "src", DISABLED)
    work = tmp_path / "work"
    work.mkdir()
    with otlp_http_sink() as (endpoint, received):
        env = {**stub_env, "OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        run = run_python(script, cwd=work, env=env, launcher=launcher)
        sent = list(received)
    assert run.result.returncode == 0, run.detail()
    assert run.marker("FLUSHED") == "None"
    assert exports_in(work) == []  # neither flush() nor the exit wrote one
    assert sent == []
