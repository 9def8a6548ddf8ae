"""``observe()`` switches on the installed instrumentors, as aiobs's installs its
providers: every one registered under our entry points, once; one already on is
left alone; ``reset()`` switches off what ``observe()`` switched on;
``AIOBS_INSTRUMENT`` opts out or chooses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
import wrapt
from openai.resources.chat.completions import Completions
from opentelemetry.sdk.trace import TracerProvider

from aiobs_otel import Observer
from aiobs_otel.demo import StandIn
from aiobs_otel.instrumenting import our_entry_points
from aiobs_otel.instrumentors import OpenAIChatInstrumentor

FlushJson = Callable[..., dict[str, Any]]
ALL = {
    "aiobs_openai_chat", "aiobs_openai_embeddings", "aiobs_openai_responses",
    "aiobs_genai_content", "aiobs_genai_videos", "aiobs_genai_embed_content",
}  # fmt: skip


def create_method() -> Any:
    """``Completions.create`` as the class holds it (not a freshly bound wrapper)."""
    return Completions.__dict__["create"]


def switched_on() -> set[str]:
    return {ep.name for ep in our_entry_points() if ep.load()().is_instrumented_by_opentelemetry}


@pytest.fixture
def chat(observer: Observer) -> Iterator[openai.OpenAI]:
    assert switched_on() == set(), "an earlier test left an instrumentor on"
    with StandIn() as standin:
        yield openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)


def ask(client: openai.OpenAI) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "?"}])


def test_every_installed_instrumentor_once(
    observer: Observer, chat: openai.OpenAI, spans: Any, flush_json: FlushJson
) -> None:
    assert {ep.name for ep in our_entry_points()} == ALL  # the API added later is one more entry
    observer.observe()
    assert switched_on() == ALL
    observer.observe()  # again: nothing wrapped twice
    wrapper = create_method()
    assert isinstance(wrapper, wrapt.FunctionWrapper)
    assert not isinstance(wrapper.__wrapped__, wrapt.FunctionWrapper)
    ask(chat)
    assert [s.name for s in spans.get_finished_spans()] == ["chat gpt-4o-mini"]
    assert [e["api"] for e in flush_json()["events"]] == ["chat.completions.create"]

    observer.reset()
    assert switched_on() == set() and not isinstance(create_method(), wrapt.FunctionWrapper)
    observer.observe()  # after reset() the next observe() switches them on again
    assert switched_on() == ALL


def test_one_already_on_is_left_alone(
    observer: Observer, chat: openai.OpenAI, tracer_provider: TracerProvider, spans: Any
) -> None:
    mine = OpenAIChatInstrumentor()
    mine.instrument(tracer_provider=tracer_provider)
    try:
        wrapped_by_me = create_method()
        observer.observe()
        assert create_method() is wrapped_by_me
        ask(chat)
        assert len(spans.get_finished_spans()) == 1
        observer.reset()
        assert mine.is_instrumented_by_opentelemetry  # not observe()'s to switch off
        assert switched_on() == {"aiobs_openai_chat"}
    finally:
        mine.uninstrument()


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("none", set()),
        ("NONE", set()),
        ("all", ALL),
        ("openai_chat", {"aiobs_openai_chat"}),
        ("aiobs_openai_embeddings, genai", {"aiobs_openai_embeddings", "aiobs_genai_content",
                                            "aiobs_genai_videos", "aiobs_genai_embed_content"}),
        ("openai", {"aiobs_openai_chat", "aiobs_openai_embeddings", "aiobs_openai_responses"}),
    ],
)  # fmt: skip
def test_aiobs_instrument_chooses(
    observer: Observer,
    chat: openai.OpenAI,
    flush_json: FlushJson,
    monkeypatch: pytest.MonkeyPatch,
    choice: str,
    expected: set[str],
) -> None:
    monkeypatch.setenv("AIOBS_INSTRUMENT", choice)
    observer.observe()
    assert switched_on() == expected
    monkeypatch.setenv("AIOBS_INSTRUMENT", "all")  # read once: a later change waits for reset()
    observer.observe()
    assert switched_on() == expected
    ask(chat)
    recorded = [e["api"] for e in flush_json()["events"]]
    assert recorded == (["chat.completions.create"] if "aiobs_openai_chat" in expected else [])
