"""Issue 17, failure 4: session attribution whatever other threads do.

A worker thread's ``@observe`` function started in session A; the main
thread then starts session B; the worker's next LLM call (a real openai
client, against a loopback server) lands in A, under its parent — not in B
with its parent in A."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import openai

from aiobs_otel import Observer, observe

pytest_plugins = ("openai_fixtures",)

MESSAGES = [{"role": "user", "content": "Say hello"}]


def _by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {event["name"]: event for event in document["function_events"]}


def test_a_workers_call_stays_in_the_session_its_parent_started_in(
    observer: Observer, client: openai.OpenAI, flush_json: Callable[..., dict[str, Any]]
) -> None:
    session_a = observer.observe(session_name="A")
    started, go_on = threading.Event(), threading.Event()

    @observe
    def worker_job() -> str:
        started.set()
        assert go_on.wait(10)  # main starts session B meanwhile
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES).id

    @observe
    def main_job() -> str:
        return client.chat.completions.create(model="gpt-4o", messages=MESSAGES).id

    worker = threading.Thread(target=worker_job)
    worker.start()
    assert started.wait(10)
    session_b = observer.observe(session_name="B")
    main_job()
    go_on.set()
    worker.join(10)
    document = flush_json()

    assert {s["name"]: s["id"] for s in document["sessions"]} == {"A": session_a, "B": session_b}
    functions = _by_name(document)
    assert functions["worker_job"]["session_id"] == session_a
    assert functions["main_job"]["session_id"] == session_b
    calls = {event["request"]["model"]: event for event in document["events"]}
    worker_call, main_call = calls["gpt-4o-mini"], calls["gpt-4o"]
    assert worker_call["session_id"] == session_a  # not B, the session active when it started
    assert worker_call["parent_span_id"] == functions["worker_job"]["span_id"]
    assert main_call["session_id"] == session_b
    assert main_call["parent_span_id"] == functions["main_job"]["span_id"]


def test_a_call_with_no_parent_goes_to_the_active_session(
    observer: Observer, client: openai.OpenAI, flush_json: Callable[..., dict[str, Any]]
) -> None:
    """The rule's other half: a local root span (no parent) belongs to the
    session active when it starts."""
    observer.observe(session_name="A")
    session_b = observer.observe(session_name="B")
    worker = threading.Thread(
        target=lambda: client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    )
    worker.start()
    worker.join(10)
    (call,) = flush_json()["events"]
    assert call["session_id"] == session_b
    assert call["parent_span_id"] is None
