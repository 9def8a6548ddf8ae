"""A cost as span attributes, as the JSON event's ``cost`` object, and back.

Span attributes (``cost_attributes``): the GenAI conventions' proposal
``gen_ai.usage.cost.amount`` / ``.currency`` / ``.source``, plus our parts
``aiobs.usage.cost.input`` / ``.cached_input`` / ``.output`` / ``.reasoning`` /
``.request`` (only those the table prices) and ``aiobs.usage.cost.priced_as``.

The JSON event field (``cost_event_field``), every key always present::

    {"total": 0.000698, "currency": "USD", "source": "local",
     "input": 0.000210, "cached_input": 0.0000075, "output": 0.00048,
     "reasoning": null, "request": null, "priced_as": "openai/gpt-4o-mini"}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from ._model import Cost
from ._pricing import price_call

_PARTS = (
    ("input", A.AIOBS_USAGE_COST_INPUT),
    ("cached_input", A.AIOBS_USAGE_COST_CACHED_INPUT),
    ("output", A.AIOBS_USAGE_COST_OUTPUT),
    ("reasoning", A.AIOBS_USAGE_COST_REASONING),
    ("request", A.AIOBS_USAGE_COST_REQUEST),
)


def cost_attributes(cost: Cost | None) -> dict[str, Any]:
    """Span attributes for ``cost`` (``{}`` for ``None``)."""
    if cost is None:
        return {}
    out: dict[str, Any] = {
        A.GEN_AI_USAGE_COST_AMOUNT: cost.total,
        A.GEN_AI_USAGE_COST_CURRENCY: cost.currency,
        A.GEN_AI_USAGE_COST_SOURCE: cost.source,
        A.AIOBS_USAGE_COST_PRICED_AS: cost.priced_as,
    }
    for field, name in _PARTS:
        value = getattr(cost, field)
        if value is not None:
            out[name] = value
    return out


def cost_event_field(cost: Cost | None) -> dict[str, Any] | None:
    """The ``cost`` object of a JSON event (``None`` when there is no cost)."""
    if cost is None:
        return None
    field: dict[str, Any] = {"total": cost.total, "currency": cost.currency, "source": cost.source}
    for name, _ in _PARTS:
        field[name] = getattr(cost, name)
    field["priced_as"] = cost.priced_as
    return field


def cost_field_from_attributes(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON event's ``cost`` object read back from a span's attributes (what
    the export has); ``None`` when the span carries no cost."""
    total = attributes.get(A.GEN_AI_USAGE_COST_AMOUNT)
    if not isinstance(total, (int, float)) or isinstance(total, bool):
        return None
    field: dict[str, Any] = {
        "total": float(total),
        "currency": attributes.get(A.GEN_AI_USAGE_COST_CURRENCY) or "USD",
        "source": attributes.get(A.GEN_AI_USAGE_COST_SOURCE) or "local",
    }
    for name, attribute in _PARTS:
        value = attributes.get(attribute)
        field[name] = float(value) if isinstance(value, (int, float)) else None
    field["priced_as"] = attributes.get(A.AIOBS_USAGE_COST_PRICED_AS)
    return field


def price_span_attributes(attributes: Mapping[str, Any]) -> Cost | None:
    """Price a provider or generation span from its GenAI attributes: the
    provider, the response model (else the request model) and the usage."""
    provider = attributes.get(A.GEN_AI_PROVIDER_NAME)
    usage = {
        "input_tokens": attributes.get(A.GEN_AI_USAGE_INPUT_TOKENS),
        "output_tokens": attributes.get(A.GEN_AI_USAGE_OUTPUT_TOKENS),
        "cache_read_input_tokens": attributes.get(A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
        "reasoning_output_tokens": attributes.get(A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
    }
    provider_name = provider if isinstance(provider, str) else None
    for key in (A.GEN_AI_RESPONSE_MODEL, A.GEN_AI_REQUEST_MODEL):
        model = attributes.get(key)
        if isinstance(model, str) and model:
            cost = price_call(provider=provider_name, model=model, **usage)
            if cost is not None:
                return cost
    return None
