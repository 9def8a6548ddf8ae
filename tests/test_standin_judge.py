"""The stand-in answers a judge prompt with a deterministic JSON verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from aiobs_otel.demo import StandIn
from aiobs_otel.evaluations import BUILT_IN_CRITERIA, parse_verdict
from aiobs_otel.evaluations._criteria import BUILT_IN, build_prompt


@pytest.fixture(scope="module")
def client() -> Iterator[openai.OpenAI]:
    with StandIn() as server:
        yield openai.OpenAI(base_url=server.openai_base_url, api_key="test", max_retries=0)


@pytest.mark.parametrize("name", BUILT_IN_CRITERIA)
def test_a_judge_prompt_gets_a_json_verdict(client: openai.OpenAI, name: str) -> None:
    criterion = BUILT_IN[name]
    prompt = build_prompt(criterion, "What is an API?", "An interface between programs.")
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
    )
    text = reply.choices[0].message.content or ""
    verdict = json.loads(text)
    assert verdict["score"] == 1.0 and verdict["label"] == criterion.labels[0]
    assert parse_verdict(text).rationale
    again = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
    )
    assert again.choices[0].message.content == text


def test_other_prompts_get_the_usual_answer(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Give me a score and a label"}]
    )
    assert "stand-in's answer" in (reply.choices[0].message.content or "")
