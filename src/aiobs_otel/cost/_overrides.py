"""User prices for models the table lacks (private or fine-tuned) or prices differently.

The shape, in code (``set_price_overrides``) and in the JSON file named by
``AIOBS_PRICES_FILE``: model name -> prices per million tokens::

    {"ft:gpt-4o-mini:acme::abc123": {"input_mtok": 0.3, "output_mtok": 1.2,
                                     "cache_read_mtok": 0.15, "provider": "openai"}}

``input_mtok`` and ``output_mtok`` are required; ``cache_read_mtok``,
``output_reasoning_mtok`` (their own rates; without them cached input is billed
as input and reasoning as output), ``currency`` (ISO 4217, default ``USD``) and
``provider`` (only calls of that provider, e.g. ``openai`` or ``aws.bedrock``)
are optional. Names match case-insensitively. Overrides in code win over the
file, and both win over the genai-prices table.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

logger = logging.getLogger("aiobs_otel.cost")

PRICES_FILE_ENV = "AIOBS_PRICES_FILE"
_RATE_KEYS = ("input_mtok", "output_mtok", "cache_read_mtok", "output_reasoning_mtok")
_REQUIRED = ("input_mtok", "output_mtok")
_ALLOWED = frozenset((*_RATE_KEYS, "currency", "provider"))
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Override:
    model: str
    input_mtok: Decimal
    output_mtok: Decimal
    cache_read_mtok: Decimal | None
    output_reasoning_mtok: Decimal | None
    currency: str
    provider: str | None


def parse_overrides(raw: object, *, where: str = "price overrides") -> dict[str, Override]:
    """Validated overrides keyed by lower-cased model name; ``ValueError`` naming
    the model and the field otherwise."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping of model name to prices, got {_kind(raw)}")
    parsed: dict[str, Override] = {}
    for model, prices in raw.items():
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"{where}: a model name must be a non-empty string, got {model!r}")
        entry = _parse_entry(model, prices, where)
        parsed[model.strip().lower()] = entry
    return parsed


def _parse_entry(model: str, prices: object, where: str) -> Override:
    label = f"{where}: model {model!r}"
    if not isinstance(prices, Mapping):
        raise ValueError(f"{label} must map to an object of prices, got {_kind(prices)}")
    unknown = sorted(str(k) for k in prices if k not in _ALLOWED)
    if unknown:
        allowed = ", ".join(sorted(_ALLOWED))
        raise ValueError(f"{label}: unknown field(s) {', '.join(unknown)} (allowed: {allowed})")
    missing = [key for key in _REQUIRED if key not in prices]
    if missing:
        raise ValueError(f"{label}: missing {', '.join(missing)} (USD per million tokens)")
    rates = {key: _rate(label, key, prices[key]) for key in _RATE_KEYS if key in prices}
    currency = prices.get("currency", "USD")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise ValueError(
            f"{label}: currency must be an ISO 4217 code such as 'USD', got {currency!r}"
        )
    provider = prices.get("provider")
    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise ValueError(f"{label}: provider must be a non-empty string, got {provider!r}")
    return Override(
        model=model.strip(),
        input_mtok=rates["input_mtok"],
        output_mtok=rates["output_mtok"],
        cache_read_mtok=rates.get("cache_read_mtok"),
        output_reasoning_mtok=rates.get("output_reasoning_mtok"),
        currency=currency,
        provider=provider.strip().lower() if provider else None,
    )


def _rate(label: str, key: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{label}: {key} must be a non-negative number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{label}: {key} must be a non-negative number, got {value!r}")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _kind(value: object) -> str:
    return type(value).__name__


def load_file(path: str) -> dict[str, Override]:
    """The overrides in ``path``; ``ValueError`` (with the path) for any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    return parse_overrides(raw, where=path)


class OverrideStore:
    """Overrides from code and from the file; the file is read once, on first use."""

    def __init__(self) -> None:
        self.from_code: dict[str, Override] = {}
        self._from_file: dict[str, Override] | None = None

    def set_code(self, raw: Mapping[str, Any] | None) -> None:
        self.from_code = parse_overrides(raw) if raw else {}

    def forget_file(self) -> None:
        self._from_file = None

    def find(self, model: str, provider: str | None, table_provider: str | None) -> Override | None:
        if not self.from_code and self._file() == {}:
            return None
        key = model.lower()
        for source in (self.from_code, self._file()):
            entry = source.get(key)
            if entry is not None and entry.provider in (None, provider, table_provider):
                return entry
        return None

    def _file(self) -> dict[str, Override]:
        if self._from_file is None:
            self._from_file = _read_env_file()
        return self._from_file


def _read_env_file() -> dict[str, Override]:
    path = os.environ.get(PRICES_FILE_ENV, "").strip()
    if not path:
        return {}
    try:
        loaded = load_file(path)
    except ValueError as exc:
        logger.error("aiobs-otel: %s ignored, no price overrides from it: %s", PRICES_FILE_ENV, exc)
        return {}
    logger.info("aiobs-otel: %d price override(s) from %s", len(loaded), path)
    return loaded
