"""A cost as span attributes, as the JSON event's ``cost``, and export totals."""

from __future__ import annotations

import json

import pytest

from aiobs_otel import attributes as A
from aiobs_otel.cost import (
    Cost,
    cost_attributes,
    cost_event_field,
    cost_field_from_attributes,
    cost_totals,
    price_call,
    price_span_attributes,
)


def chat_cost() -> Cost:
    cost = price_call(provider="openai", model="gpt-4o-mini", input_tokens=1500,
                      output_tokens=800, cache_read_input_tokens=600)  # fmt: skip
    assert cost is not None
    return cost


def test_span_attributes_use_the_conventions_names() -> None:
    cost = chat_cost()
    attributes = cost_attributes(cost)
    assert attributes["gen_ai.usage.cost.amount"] == cost.total
    assert attributes["gen_ai.usage.cost.currency"] == "USD"
    assert attributes["gen_ai.usage.cost.source"] == "local"
    assert attributes["aiobs.usage.cost.priced_as"] == "openai/gpt-4o-mini"
    parts = {k: v for k, v in attributes.items() if k.startswith("aiobs.usage.cost.") and
             k != "aiobs.usage.cost.priced_as"}  # fmt: skip
    assert set(parts) == {"aiobs.usage.cost.input", "aiobs.usage.cost.cached_input",
                          "aiobs.usage.cost.output"}  # fmt: skip
    assert sum(parts.values()) == pytest.approx(cost.total)
    assert cost_attributes(None) == {}


def test_the_event_field_has_every_key_and_reads_back_from_attributes() -> None:
    cost = chat_cost()
    field = cost_event_field(cost)
    assert field == {
        "total": cost.total, "currency": "USD", "source": "local", "input": cost.input,
        "cached_input": cost.cached_input, "output": cost.output, "reasoning": None,
        "request": None, "priced_as": "openai/gpt-4o-mini",
    }  # fmt: skip
    assert cost_field_from_attributes(cost_attributes(cost)) == field
    assert json.loads(json.dumps(field, allow_nan=False)) == field
    assert cost_event_field(None) is None
    assert cost_field_from_attributes({"gen_ai.usage.input_tokens": 3}) is None


def test_a_span_is_priced_from_its_attributes() -> None:
    attributes = {
        A.GEN_AI_PROVIDER_NAME: "openai",
        A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        A.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        A.GEN_AI_USAGE_INPUT_TOKENS: 1500,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: 800,
        A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 600,
    }
    assert price_span_attributes(attributes) == chat_cost()
    # an unknown response model falls back to the request model
    proxied = {**attributes, A.GEN_AI_RESPONSE_MODEL: "my-proxy-alias"}
    assert price_span_attributes(proxied) == chat_cost()
    assert price_span_attributes({A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini"}) is None  # no usage


def event(session: str | None, total: float | None, currency: str = "USD") -> dict[str, object]:
    cost = None if total is None else {"total": total, "currency": currency}
    return {"session_id": session, "cost": cost}


def test_totals_per_session_label_set_and_label() -> None:
    sessions = [
        {"id": "s1", "labels": {"team": "ml", "env": "prod", "aiobs_hostname": "a"}},
        {"id": "s2", "labels": {"team": "ml", "env": "prod", "aiobs_hostname": "b"}},
        {"id": "s3", "labels": {"team": "web", "env": "prod"}},
        {"id": "s4", "labels": None},
    ]
    events = [
        event("s1", 0.1), event("s1", 0.2), event("s1", None),
        event("s2", 0.05),
        event("s3", 1.0), event("s3", 2.0, "EUR"),
        event("s4", 0.5),
        {"session_id": "s1", "name": "a function event: no cost key"},
        event(None, 0.25),
    ]  # fmt: skip
    totals = cost_totals(events, sessions)
    assert totals["total"] == {"amount": {"EUR": 2.0, "USD": 2.1}, "priced_calls": 7,
                               "unpriced_calls": 1}  # fmt: skip
    assert totals["by_session"]["s1"] == {"amount": {"USD": 0.3}, "priced_calls": 2,
                                          "unpriced_calls": 1}  # fmt: skip
    assert set(totals["by_session"]) == {"s1", "s2", "s3", "s4"}
    by_set = {json.dumps(g["labels"], sort_keys=True): g for g in totals["by_label_set"]}
    ml = by_set['{"env": "prod", "team": "ml"}']  # host labels do not split a team
    assert ml["session_ids"] == ["s1", "s2"] and ml["amount"] == {"USD": 0.35}
    assert by_set["{}"]["amount"] == {"USD": 0.5}
    assert totals["by_label"]["team"]["web"]["amount"] == {"EUR": 2.0, "USD": 1.0}
    assert totals["by_label"]["env"]["prod"]["priced_calls"] == 5
    json.dumps(totals, allow_nan=False)


def test_totals_of_nothing() -> None:
    empty = {"amount": {}, "priced_calls": 0, "unpriced_calls": 0}
    assert cost_totals([], []) == {"total": empty, "by_session": {}, "by_label_set": [],
                                   "by_label": {}}  # fmt: skip
