"""Safe representations of user values, and the guard around telemetry code.

Telemetry must never break the user's program: a value JSON cannot hold
becomes a truncated, JSON-safe stand-in, and a bug in our own attribute code
is logged (and re-raised only under our own tests, so they cannot hide it).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

logger = logging.getLogger("aiobs_otel")

MAX_STRING = 4096
MAX_ITEMS = 100
MAX_DEPTH = 6

_T = TypeVar("_T")


def _strict() -> bool:
    # Set by tests/conftest.py: internal errors surface instead of being logged.
    return os.environ.get("AIOBS_OTEL_STRICT") == "1"


def report_internal_error(where: str) -> None:
    """Log an exception raised by telemetry code; call it from an ``except`` block."""
    if _strict():
        raise
    logger.warning(
        "aiobs-otel: internal error in %s; your code still runs, with less telemetry",
        where,
        exc_info=True,
    )


def guarded(where: str, func: Callable[..., _T], *args: Any, default: Any = None) -> Any:
    """Run ``func(*args)``; on any exception report it and return ``default``."""
    try:
        return func(*args)
    except Exception:
        report_internal_error(where)
        return default


def truncate_text(text: str, limit: int = MAX_STRING) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


def to_jsonable(value: Any, *, max_string: int = MAX_STRING, max_items: int = MAX_ITEMS) -> Any:
    """A JSON-safe copy of ``value``: long strings and collections truncated,
    bytes summarised, cycles broken, unknown objects turned into their repr."""
    return _Converter(max_string, max_items).convert(value, 0)


def dumps(value: Any) -> str:
    """``to_jsonable`` then compact JSON: the form used for span attributes."""
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


class _Converter:
    def __init__(self, max_string: int, max_items: int) -> None:
        self.max_string = max_string
        self.max_items = max_items
        self.active: set[int] = set()

    def convert(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            # NaN and infinities are not JSON.
            return value if math.isfinite(value) else repr(value)
        if isinstance(value, str):
            return truncate_text(value, self.max_string)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return f"<{type(value).__name__} len={len(value)}>"
        if depth >= MAX_DEPTH:
            return f"<{type(value).__name__} nested too deep>"
        marker = id(value)
        if marker in self.active:
            return f"<cycle {type(value).__name__}>"
        self.active.add(marker)
        try:
            return self._convert_container(value, depth)
        finally:
            self.active.discard(marker)

    def _convert_container(self, value: Any, depth: int) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value, depth)
        if isinstance(value, (list, tuple, set, frozenset)):
            items = list(value) if isinstance(value, (list, tuple)) else sorted(value, key=repr)
            out = [self.convert(v, depth + 1) for v in items[: self.max_items]]
            if len(items) > self.max_items:
                out.append(f"...[{len(items) - self.max_items} more items]")
            return out
        dumped = _model_dump(value)
        if dumped is not None:
            return self.convert(dumped, depth)
        return truncate_text(_safe_repr(value), self.max_string)

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= self.max_items:
                out["..."] = f"[{len(value) - self.max_items} more keys]"
                break
            name = key if isinstance(key, str) else _safe_repr(key)
            out[truncate_text(name, 256)] = self.convert(item, depth + 1)
        return out


def _model_dump(value: Any) -> Any:
    """Structured data from pydantic models and dataclasses, or None."""
    if isinstance(value, type):
        return None
    try:
        if hasattr(value, "model_dump") and callable(value.model_dump):
            return value.model_dump(exclude_none=True)
        if dataclasses.is_dataclass(value):
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    except Exception:
        return None
    return None


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"
