"""Settings read from environment variables, all parsed the same way: a value
that does not parse (or is out of range) logs one clear line and the default
is used; a setting never raises."""

from __future__ import annotations

import logging
import os
from typing import TypeVar

logger = logging.getLogger("aiobs_otel")

N = TypeVar("N", int, float)

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def number(name: str, default: N, *, minimum: float, maximum: float = 3600) -> N:
    """``name`` as the type of ``default``, within [minimum, maximum]."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = type(default)(raw.strip())
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:  # also rejects nan and inf
        kind = "a whole number" if isinstance(default, int) else "a number"
        logger.warning(
            "aiobs-otel: %s=%r is not valid: not %s from %s to %s; using %s",
            name, raw, kind, minimum, maximum, default,
        )  # fmt: skip
        return default
    return value


def flag(name: str, default: bool) -> bool:
    """``true/1/yes/on`` or ``false/0/no/off`` (any case); anything else: the default."""
    raw = (os.environ.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    if raw:
        logger.warning("aiobs-otel: %s=%r is not true or false; using %s", name, raw, default)
    return default
