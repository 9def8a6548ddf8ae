"""Issue 17, failure 3 (continued): the standard ``OTEL_*`` switches are
honoured by the pipeline ``observe()`` builds (``OTEL_TRACES_EXPORTER``,
``OTEL_METRICS_EXPORTER``), and ``OTEL_SDK_DISABLED=true`` records nothing and
writes no file, with ``observe()`` as under zero-code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from _llm_stub import llm_env, llm_stub, otlp_http_sink
from _reliability_support import exports_in, load, run_python, write_script


@pytest.fixture
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as base_url:
        yield llm_env(base_url)


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
