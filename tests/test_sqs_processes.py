"""Whole processes, as users run them: an app killed with SIGKILL while SQS is down
and restarted (every trace arrives once), a FIFO queue dropping a replayed spill,
the llmops setup with ``observe()`` and a real OpenAI call, zero-code with
``OTEL_TRACES_EXPORTER=aiobs_sqs``, and the example consumer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _llm_stub import llm_env, llm_stub
from _sqs_support import (
    APPS,
    KillableProxy,
    app_env,
    aws_env,
    keys_of,
    make_exporter,
    moto_server,
    receive_all,
    shut_down_exporters,
    spill_files,
    streaming_provider,
)
from _zero_code_support import REPO, assert_clean_run, run_instrumented
from aiobs_otel.exporters.sqs import decode_message

SQS_APP = APPS / "sqs_app.py"


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    with moto_server() as server:
        yield server


@pytest.fixture
def proxy(moto: Any) -> Iterator[KillableProxy]:
    proxy = KillableProxy(moto.port)  # dead until revived
    yield proxy
    proxy.kill()


def run_app(*args: str, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, str(SQS_APP), *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=90, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return stats_line(result.stdout)


def stats_line(stdout: str) -> dict[str, Any]:
    line = next(line for line in stdout.splitlines() if line.startswith("STATS "))
    return dict(json.loads(line.split(" ", 1)[1]))


def runs_of(bodies: list[str]) -> list[str]:
    """Which run produced each trace (the root span's first argument)."""
    runs = []
    for body in bodies:
        root = next(s for s in decode_message(body)["spans"] if s["parent_span_id"] is None)
        runs.append(root["input_data"]["args"][0])
    return sorted(runs)


def test_sigkill_with_traces_queued_then_restart_delivers_each_once(
    moto: Any, proxy: KillableProxy, tmp_path: Path
) -> None:
    url = moto.create_queue()
    env = app_env({"AWS_SQS_URL": url, "AWS_ENDPOINT_URL_SQS": proxy.endpoint,
                   "AIOBS_SQS_SPILL_DIR": str(tmp_path / "spill"),
                   "AIOBS_SQS_TRACE_GRACE_MS": "50"})  # fmt: skip
    app = subprocess.Popen([sys.executable, str(SQS_APP), "produce", "40", "--hang"], env=env,
                           cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        assert app.stdout is not None
        first = stats_line(app.stdout.readline())
    finally:
        app.send_signal(signal.SIGKILL)  # no atexit, no shutdown, no flush
        app.wait(30)
    assert app.returncode == -signal.SIGKILL
    assert first["sqs_down"] and first["messages_spilled"] == 40 and first["messages_sent"] == 0
    (spill,) = spill_files(tmp_path / "spill")

    proxy.revive()
    second = run_app("replay", "40", "10", env=env, cwd=tmp_path)
    assert second["messages_replayed"] == 40 and second["messages_sent"] == 10
    bodies = receive_all(moto.client(), url, expect=50)
    assert set(keys_of(bodies).values()) == {1} and len(bodies) == 50  # each trace once
    assert runs_of(bodies) == ["first"] * 40 + ["second"] * 10  # none lost
    assert not spill.exists() and spill_files(tmp_path / "spill") == []


@pytest.mark.parametrize("fifo", [True, False], ids=["fifo", "standard"])
def test_a_fifo_queue_drops_a_replayed_spill(
    moto: Any, proxy: KillableProxy, tmp_path: Path, fifo: bool
) -> None:
    """A spill re-sent twice (its first replay died before it could remove the file):
    a FIFO queue keeps one copy of each trace, by its deduplication id, the key."""
    url = moto.create_queue(fifo=fifo)
    env = app_env({"AWS_SQS_URL": url, "AWS_ENDPOINT_URL_SQS": proxy.endpoint,
                   "AIOBS_SQS_SPILL_DIR": str(tmp_path / "spill"),
                   "AIOBS_SQS_TRACE_GRACE_MS": "50"})  # fmt: skip
    assert run_app("produce", "15", env=env, cwd=tmp_path)["messages_spilled"] == 15
    (spill,) = spill_files(tmp_path / "spill")
    copy = spill.read_bytes()
    proxy.revive()
    assert run_app("replay", "15", env=env, cwd=tmp_path)["messages_replayed"] == 15
    spill.with_name("spill-1-1.jsonl").write_bytes(copy)  # the same spill once more
    assert run_app("replay", "15", env=env, cwd=tmp_path)["messages_replayed"] == 15
    bodies = receive_all(moto.client(), url, expect=15 if fifo else 30)
    keys = keys_of(bodies)
    assert len(keys) == 15
    assert set(keys.values()) == ({1} if fifo else {2})  # a standard queue keeps both


def test_observe_streams_a_real_openai_call_when_aws_sqs_url_is_set(
    moto: Any, tmp_path: Path
) -> None:
    """The reference README's setup: AWS_SQS_URL, AWS_REGION, and the endpoint pointed
    at a local SQS; llmops's ENV / PROJECT_ID lose to the session's labels."""
    url = moto.create_queue()
    env = app_env({"AWS_SQS_URL": url, "AWS_REGION": "us-east-1",
                   "AWS_ENDPOINT_URL_SQS": moto.endpoint, "ENV": "production",
                   "PROJECT_ID": "from-env",
                   "AIOBS_SQS_SPILL_DIR": str(tmp_path / "spill")})  # fmt: skip
    result = subprocess.run([sys.executable, str(APPS / "sqs_observed_app.py"),
                             str(tmp_path / "export.json")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=90, check=False)  # fmt: skip
    assert_clean_run(result)
    (body,) = receive_all(moto.client(), url, expect=1)
    trace = decode_message(body)
    assert (trace["trace_name"], trace["environment"], trace["project_id"]) == (
        "answer", "uat", "new_test")  # fmt: skip
    function, chat = sorted(trace["spans"], key=lambda s: s["start_time"])
    assert function["span_type"] == "span" and function["input_data"]["args"] == ["What is an API?"]
    assert chat["span_type"] == "generation" and chat["parent_span_id"] == function["span_id"]
    assert chat["prompt"] == "What is an API?"
    assert chat["response"] and chat["response"] in result.stdout  # the answer the app printed
    assert chat["model_id"].startswith("gpt-4o-mini")
    assert chat["usage"]["total_tokens"] == trace["token_usage"]["total_tokens"] > 0
    assert chat["metadata"]["environment"] == "uat"
    assert trace["aiobs_session_id"] and trace["labels"]["environment"] == "uat"
    assert (tmp_path / "export.json").exists()  # the JSON export is still written
    assert "sk-test-not-a-real-key" not in json.dumps(trace)


@pytest.mark.parametrize(
    "exporters", ["aiobs_json,aiobs_sqs", None], ids=["OTEL_TRACES_EXPORTER", "AWS_SQS_URL-only"]
)
def test_zero_code_streams_each_trace_once(
    moto: Any, tmp_path: Path, exporters: str | None
) -> None:
    url = moto.create_queue()
    with llm_stub() as stub:
        env = {**llm_env(stub), **app_env({}), "AWS_SQS_URL": url,
               "AIOBS_SQS_SPILL_DIR": str(tmp_path / "spill"),
               "LLM_OBS_OUT": str(tmp_path / "x.json")}  # fmt: skip
        if exporters:
            env["OTEL_TRACES_EXPORTER"] = exporters
        result = run_instrumented(APPS / "plain_llm_app.py", cwd=tmp_path, env=env)
    assert_clean_run(result)
    bodies = receive_all(moto.client(), url, expect=3)
    assert len(bodies) == 3 and set(keys_of(bodies).values()) == {1}  # one stream, not two
    kinds = sorted(decode_message(b)["spans"][0]["span_type"] for b in bodies)
    assert kinds == ["embedding", "generation", "generation"]


def test_the_example_consumer_prints_and_forwards_each_trace_once(
    moto: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_env(monkeypatch)
    url = moto.create_queue()
    exporter = make_exporter(url, moto.endpoint, tmp_path / "spill", client=moto.client())
    provider = streaming_provider(exporter)
    for name in ("checkout", "search"):
        with provider.get_tracer("t").start_as_current_span(name):
            pass
    assert exporter.force_flush(10_000)
    duplicate = receive_all(moto.client(), url, expect=2)
    for body in duplicate + duplicate[:1]:  # SQS delivers at least once
        moto.client().send_message(QueueUrl=url, MessageBody=body)
    shut_down_exporters()
    env = app_env({"AWS_SQS_URL": url, "AWS_ENDPOINT_URL_SQS": moto.endpoint})
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "sqs_consumer.py"), "--once",
         "--forward-dir", str(tmp_path / "traces")],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and {line.split("'")[1] for line in lines} == {"checkout", "search"}
    assert "env=development project=unknown_project spans=1" in lines[0]
    assert result.stderr.count("skipped") == 1
    written = sorted((tmp_path / "traces").glob("*.json"))
    assert len(written) == 2
    assert {json.loads(p.read_text())["trace_name"] for p in written} == {"checkout", "search"}
    assert os.environ.get("AWS_SQS_URL") is None  # the variables went to the child only
