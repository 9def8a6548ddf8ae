"""The priced result of one call, and the arithmetic that makes it.

Prices are per million tokens. Token counts follow the GenAI conventions as
genai-prices does: input tokens include the cached ones, output tokens include
the reasoning ones. A part that the price table does not price separately is
billed with its parent (cached input as input, reasoning as output) and its own
part is ``None``; the parts that are present add up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # genai-prices is imported on first use: it takes ~70 ms to load
    from genai_prices.types import TieredPrices

    # A flat rate (a float: per-token arithmetic in floats is ten times faster
    # than in Decimal, and exact to 1e-15), or the table's rates by total input.
    Rate = float | TieredPrices
else:
    Rate = Any

_PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Cost:
    """What one call cost. Amounts are in ``currency``; parts are ``None`` when
    the price table does not price them separately."""

    total: float
    currency: str
    input: float | None
    """Uncached input tokens (all input tokens when cached input has no own price)."""
    cached_input: float | None
    output: float | None
    """Output tokens other than reasoning (all of them when reasoning has no own price)."""
    reasoning: float | None
    request: float | None
    """A fixed fee per request, for the few models that have one."""
    provider_id: str
    """The price table's provider id (``openai``, ``google``, ``aws``), or ``override``."""
    model_id: str
    """The price table's model id that matched (``gpt-4o-mini``), or the override's key."""
    source: str = "local"
    """``local``: computed here from a price table (the conventions' value for that)."""

    @property
    def priced_as(self) -> str:
        return f"{self.provider_id}/{self.model_id}"


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates that apply to one call (resolved for its date)."""

    input: Rate | None
    cached_input: Rate | None
    output: Rate | None
    reasoning: Rate | None
    per_thousand_requests: Rate | None
    currency: str
    provider_id: str
    model_id: str


def flat_or_tiered(value: Any) -> Rate | None:
    """A table or override price as a ``Rate``: Decimals become floats."""
    if value is None:
        return None
    if isinstance(value, (Decimal, int, float)):
        return float(value)
    return value  # type: ignore[no-any-return]  # TieredPrices, kept for its tiers


def compute(
    rates: Rates, input_tokens: int, output_tokens: int, cached: int, reasoning: int
) -> Cost:
    """Price the token counts (``cached`` within ``input_tokens``, ``reasoning``
    within ``output_tokens``) with ``rates``."""
    cached = min(cached, input_tokens)
    reasoning = min(reasoning, output_tokens)
    # A part with its own rate is taken out of its parent; otherwise it stays in.
    plain_input = input_tokens - cached if rates.cached_input is not None else input_tokens
    plain_output = output_tokens - reasoning if rates.reasoning is not None else output_tokens
    parts = (
        _part(rates.input, plain_input, input_tokens),
        _part(rates.cached_input, cached, input_tokens),
        _part(rates.output, plain_output, input_tokens),
        _part(rates.reasoning, reasoning, input_tokens),
        _part(rates.per_thousand_requests, 1, input_tokens, 1000),
    )
    return Cost(
        total=sum(p for p in parts if p is not None),
        currency=rates.currency,
        input=parts[0],
        cached_input=parts[1],
        output=parts[2],
        reasoning=parts[3],
        request=parts[4],
        provider_id=rates.provider_id,
        model_id=rates.model_id,
    )


def _part(rate: Rate | None, count: int, total_input: int, per: int = _PER_MILLION) -> float | None:
    if rate is None:
        return None
    if isinstance(rate, float):
        return count * rate / per
    # Tiered (Gemini 2.5 Pro above 200k input tokens): the table's own rule
    # picks the tier from the total input tokens.
    from genai_prices.types import calc_unit_price

    return float(calc_unit_price(rate, count, total_input, per))
