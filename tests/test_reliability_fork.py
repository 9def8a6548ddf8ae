"""Issue 17, failure 2: ``os.fork()`` after ``observe()`` (gunicorn-style
preforking). Each child starts with an empty buffer and its own session (same
name and labels, a new id, its own pid): files never collide, nothing is
exported twice (JSON, OTLP), and the shepherd counts each event once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from _llm_stub import otlp_http_sink
from _reliability_support import exports_in, load, run_python, write_script
from test_shepherd import KEY, StandIn

PREFORK = """
    import os, sys
    from aiobs_otel import observer, observe

    @observe
    def work(tag):
        return tag

    observer.observe(session_name="prefork", labels={"team": "ml"}, api_key=os.environ["KEY"])
    print(f"PARENT={os.getpid()}", flush=True)
    work("parent-before-fork")  # buffered (and queued for OTLP) when the workers fork
    workers = []
    for mode in ("flush", "exit"):
        pid = os.fork()
        if pid == 0:  # a worker: one call, then a flush, or just the end of the process
            work(f"worker-{mode}")
            if mode == "flush":
                print(f"WORKER_FLUSHED={observer.flush()}", flush=True)
            sys.exit(0)
        print(f"WORKER_{mode.upper()}={pid}", flush=True)
        workers.append(pid)
    for pid in workers:
        assert os.waitpid(pid, 0)[1] == 0
    work("parent-after-fork")
    print(f"PARENT_FLUSHED={observer.flush()}", flush=True)
"""


@pytest.fixture
def shepherd() -> Iterator[StandIn]:
    server = StandIn()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _span_names(bodies: list[tuple[str, bytes]]) -> list[tuple[str, int]]:
    """(span name, span id) of every span the OTLP receiver got, from all processes."""
    found = []
    for path, body in bodies:
        if path != "/v1/traces":
            continue
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                found.extend((span.name, int.from_bytes(span.span_id, "big"))
                             for span in scope.spans)  # fmt: skip
    return found


def _args(document: dict[str, Any]) -> list[str]:
    return sorted(event["args"][0] for event in document["function_events"])


def test_forked_workers_start_empty_with_their_own_sessions(
    tmp_path: Path, shepherd: StandIn
) -> None:
    script = write_script(tmp_path / "src", PREFORK)
    work = tmp_path / "work"
    work.mkdir()
    with otlp_http_sink() as (endpoint, received):
        env = {
            "KEY": KEY, "AIOBS_SHEPHERD_URL": shepherd.url,
            "AIOBS_FLUSH_SERVER_URL": shepherd.url, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        }  # fmt: skip
        run = run_python(script, cwd=work, env=env)
        spans = _span_names(list(received))
    assert run.result.returncode == 0, run.detail()

    files = exports_in(work)
    assert len(files) == 3, [f.name for f in files]  # one per process, none overwritten
    by_pid = {}
    for path in files:
        document = load(path)
        (session,) = document["sessions"]
        assert path.name == f"{session['id']}.json"
        assert session["name"] == "prefork" and session["labels"]["team"] == "ml"
        by_pid[session["meta"]["pid"]] = _args(document)
    pids = {int(run.marker(n)): n for n in ("PARENT", "WORKER_FLUSH", "WORKER_EXIT")}
    assert {pids[pid]: args for pid, args in by_pid.items()} == {
        "PARENT": ["parent-after-fork", "parent-before-fork"],  # the parent's events only there
        "WORKER_FLUSH": ["worker-flush"],
        "WORKER_EXIT": ["worker-exit"],  # written by the worker's own exit hook
    }
    assert run.marker("WORKER_FLUSHED") in {f.name for f in files}

    # OTLP: each span once, whatever process sent it
    assert Counter(name for name, _ in spans) == {"work": 4}, spans
    assert len({span_id for _, span_id in spans}) == 4

    # the shepherd: validated once (in the parent), one upload per process, 4 events counted
    assert len(shepherd.requests("GET /v1/usage")) == 1
    assert len(shepherd.requests("POST /v1/traces")) == 3
    assert shepherd.counted == 4


LLM_OBS_OUT_APP = """
    import os
    from aiobs_otel import observer, observe

    @observe
    def work(tag):
        return tag

    observer.observe(session_name="prefork")
    work("parent")
    pid = os.fork()
    if pid == 0:
        work("worker")
        print(f"WORKER_FLUSHED={observer.flush()}", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    print(f"WORKER={pid}")
    print(f"PARENT_FLUSHED={observer.flush()}")
"""


def test_llm_obs_out_gets_the_worker_pid_in_a_forked_worker(tmp_path: Path) -> None:
    script = write_script(tmp_path / "src", LLM_OBS_OUT_APP)
    target = tmp_path / "out" / "run.json"
    run = run_python(script, cwd=tmp_path, env={"LLM_OBS_OUT": str(target)})
    assert run.result.returncode == 0, run.detail()
    worker_file = target.with_name(f"run.{run.marker('WORKER')}.json")
    assert run.marker("PARENT_FLUSHED") == str(target)
    assert run.marker("WORKER_FLUSHED") == str(worker_file)
    assert _args(load(target)) == ["parent"]
    assert _args(load(worker_file)) == ["worker"]
