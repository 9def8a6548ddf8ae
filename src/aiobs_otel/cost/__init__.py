"""Cost of LLM calls, priced from pydantic's genai-prices table (offline).

Usage::

    from aiobs_otel.cost import price_call, cost_attributes

    cost = price_call(provider="openai", model="gpt-4o-mini",
                      input_tokens=1500, output_tokens=800, cache_read_input_tokens=500)
    if cost is not None:
        span.set_attributes(cost_attributes(cost))  # gen_ai.usage.cost.amount, ...

    set_price_overrides({"my-ft-model": {"input_mtok": 0.3, "output_mtok": 1.2}})

``AIOBS_PRICES_FILE`` names a JSON file of overrides in the same shape.
"""

from ._fields import (
    cost_attributes,
    cost_event_field,
    cost_field_from_attributes,
    price_span_attributes,
)
from ._llmops import calculate_cost
from ._model import Cost
from ._overrides import PRICES_FILE_ENV
from ._pricing import preload_prices, price_call, reload_prices, set_price_overrides
from ._totals import CostTotals, cost_totals

__all__ = [
    "PRICES_FILE_ENV",
    "Cost",
    "CostTotals",
    "calculate_cost",
    "cost_attributes",
    "cost_event_field",
    "cost_field_from_attributes",
    "cost_totals",
    "preload_prices",
    "price_call",
    "price_span_attributes",
    "reload_prices",
    "set_price_overrides",
]
