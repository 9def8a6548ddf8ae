"""JSON any parser reads: NaN and infinities as the strings ``"NaN"``,
``"Infinity"``, ``"-Infinity"``; lone surrogates as U+FFFD; UTF-8."""

from __future__ import annotations

import json
import math
from typing import Any

from ..values import finite_or_text, safe_json_text

# One encoder for the compact form (the stream encodes each event on its own:
# building an encoder per call would cost more than many small events do).
_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str)


def json_bytes(value: Any, *, indent: int | None = 2) -> bytes:
    """UTF-8 JSON of ``value``, valid for any parser (see the module doc)."""
    try:
        if indent is None:
            text = _COMPACT.encode(value)
        else:
            text = json.dumps(value, ensure_ascii=False, indent=indent, allow_nan=False,
                              default=str)  # fmt: skip
    except ValueError:  # NaN or an infinity somewhere: replace them, then write
        text = json.dumps(finite(value), ensure_ascii=False, indent=indent, default=str)
    return safe_json_text(text).encode("utf-8")


def finite(value: Any) -> Any:
    """A copy of ``value`` with NaN and infinities as strings."""
    if isinstance(value, float):
        return value if math.isfinite(value) else finite_or_text(value)
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
