"""``price_call``: the cost of one call, from overrides or the genai-prices table.

The hot path is one dictionary lookup: the rates a ``(provider, model)`` pair
resolves to (from an override, from the table, or none: unknown) are cached
for a minute. After that the pair is looked up again, so a price change the
table dates, or a table replaced by genai-prices' ``UpdatePrices``, applies
within a minute; changing the overrides drops the cache at once. Unknown
models cost ``None``, never an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from . import _table
from ._model import Cost, Rates, compute, flat_or_tiered
from ._overrides import Override, OverrideStore

logger = logging.getLogger("aiobs_otel.cost")

_MAX_CACHED = 4096  # distinct (provider, model) pairs; a process rarely sees 50
_REFRESH_S = 60.0
_GOOGLE_PROVIDERS = frozenset(("gcp.gemini", "gcp.vertex_ai", "gcp.gen_ai"))

_overrides = OverrideStore()
# (provider, model) -> (rates or None for unknown, monotonic time it expires)
_cache: dict[tuple[str | None, str], tuple[Rates | None, float]] = {}
_lock = threading.Lock()


def price_call(
    *,
    provider: str | None,
    model: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read_input_tokens: int | None = None,
    reasoning_output_tokens: int | None = None,
    reasoning_in_output: bool | None = None,
) -> Cost | None:
    """The cost of one call, or ``None`` (unknown model, no usage).

    Token counts as the GenAI conventions record them: ``input_tokens``
    includes ``cache_read_input_tokens``. ``reasoning_in_output`` says whether
    ``output_tokens`` already includes ``reasoning_output_tokens``: by default
    yes, except for Google's providers, whose ``candidates_token_count`` leaves
    the thinking tokens out (Google bills them as output).
    """
    if not model or not isinstance(model, str):
        return None
    inputs, outputs = _count(input_tokens), _count(output_tokens)
    if inputs is None and outputs is None:
        return None
    cached = _count(cache_read_input_tokens) or 0
    reasoning = _count(reasoning_output_tokens) or 0
    if reasoning_in_output is None:
        reasoning_in_output = provider not in _GOOGLE_PROVIDERS
    outputs = outputs or 0
    if not reasoning_in_output:
        outputs += reasoning
    rates = _rates(provider, model)
    if rates is None:
        return None
    return compute(rates, inputs or 0, outputs, cached, reasoning)


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _rates(provider: str | None, model: str) -> Rates | None:
    entry = _cache.get((provider, model))
    if entry is not None and entry[1] > time.monotonic():
        return entry[0]
    return _resolve(provider, model)


def _resolve(provider: str | None, model: str) -> Rates | None:
    """Look ``(provider, model)`` up (overrides first) and cache the answer."""
    provider_id = _table.table_provider_id(provider, model)
    override = _overrides.find(model, provider.lower() if provider else None, provider_id)
    rates = _override_rates(override) if override is not None else _table_rates(provider_id, model)
    if rates is None:
        logger.debug("aiobs-otel: no price for model %r (provider %r)", model, provider)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[(provider, model)] = (rates, time.monotonic() + _REFRESH_S)
    return rates


def _table_rates(provider_id: str | None, model: str) -> Rates | None:
    found = _table.find_model(_table.snapshot(), provider_id, model)
    if found is None:
        return None
    table_provider, info = found
    prices = _table.prices_now(info)
    return Rates(
        input=flat_or_tiered(prices.input_mtok),
        cached_input=flat_or_tiered(prices.cache_read_mtok),
        output=flat_or_tiered(prices.output_mtok),
        reasoning=flat_or_tiered(prices.output_reasoning_mtok),
        per_thousand_requests=flat_or_tiered(prices.requests_kcount),
        currency="USD",  # genai-prices prices everything in US dollars
        provider_id=table_provider,
        model_id=info.id,
    )


def _override_rates(entry: Override) -> Rates:
    return Rates(
        input=flat_or_tiered(entry.input_mtok),
        cached_input=flat_or_tiered(entry.cache_read_mtok),
        output=flat_or_tiered(entry.output_mtok),
        reasoning=flat_or_tiered(entry.output_reasoning_mtok),
        per_thousand_requests=None,
        currency=entry.currency,
        provider_id="override",
        model_id=entry.model,
    )


def set_price_overrides(overrides: Mapping[str, Mapping[str, Any]] | None) -> None:
    """Replace the overrides set in code (``None`` or ``{}`` removes them).

    ``{"my-model": {"input_mtok": 0.3, "output_mtok": 1.2}}``: prices per
    million tokens (see the module ``aiobs_otel.cost._overrides`` for every
    field). A bad mapping raises ``ValueError`` and leaves the current ones."""
    _overrides.set_code(overrides)
    _forget()


def reload_prices() -> None:
    """Forget cached lookups and read ``AIOBS_PRICES_FILE`` again on next use."""
    _overrides.forget_file()
    _forget()


def preload_prices() -> None:
    """Load genai-prices' table now (about 70 ms, once), so that the first priced
    call does not pay for it. Safe to run in a background thread."""
    _table.snapshot()
    _rates(None, "gpt-4o-mini")


def _forget() -> None:
    with _lock:
        _cache.clear()
