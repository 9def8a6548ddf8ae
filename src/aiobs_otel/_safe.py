"""Safe representations of user values, and the guard around telemetry code.

Telemetry must never break the user's program: a value JSON cannot hold
becomes a truncated, JSON-safe stand-in, and a bug in our own attribute code
is logged (and re-raised only under our own tests, so they cannot hide it).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import os
import re
from collections.abc import Mapping
from typing import Any, TypeVar

logger = logging.getLogger("aiobs_otel")

MAX_STRING = 4096
MAX_ITEMS = 100
MAX_DEPTH = 6
MAX_TOTAL = 262_144  # characters, roughly, in one converted value
_MAX_INT_BITS = 1024

# Keys whose values are secrets: recorded as "<redacted>" wherever they appear
# in a recorded value (an @observe argument holding a config with headers, say).
_SECRET_KEY_PARTS = (
    "authorization", "api_key", "apikey", "api-key", "secret", "password", "passwd",
    "access_token", "refresh_token", "id_token", "cookie", "credential", "private_key",
)  # fmt: skip
_SECRET_KEY_IN_JSON = re.compile(
    r'(?<!\\)"(?:token|[^"\\]*(?:'
    + "|".join(re.escape(part) for part in _SECRET_KEY_PARTS)
    + r')[^"\\]*)"\s*:',
    re.IGNORECASE,
)
# Substrings every secret key above contains one of: a cheap first test.
_SECRET_HINTS = ("auth", "key", "secret", "passw", "token", "cookie", "credential")
REDACTED = "<redacted>"


def _may_hold_secret(json_text: str) -> bool:
    """Whether a secret-looking key may be in ``json_text``: a plain substring
    search first (fast), the exact key pattern only when that finds something."""
    lowered = json_text.lower()
    for hint in _SECRET_HINTS:
        if hint in lowered:
            return _SECRET_KEY_IN_JSON.search(json_text) is not None
    return False


def is_secret_key(name: str) -> bool:
    lowered = name.lower()
    return lowered == "token" or any(part in lowered for part in _SECRET_KEY_PARTS)


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


def truncate_text(text: str, limit: int = MAX_STRING) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


def to_jsonable(
    value: Any,
    *,
    max_string: int = MAX_STRING,
    max_items: int = MAX_ITEMS,
    max_total: int = MAX_TOTAL,
    redact_secrets: bool = False,
) -> Any:
    """A JSON-safe copy of ``value``: long strings and collections truncated,
    bytes summarised, cycles broken, unknown objects turned into their repr.

    ``max_total`` bounds the whole result (about that many characters), so a
    list of lists of long strings cannot grow a span attribute without limit.
    """
    return _Converter(max_string, max_items, max_total, redact_secrets).convert(value, 0)


# JSON up to this long is recorded whole: the C encoder makes it in a few
# microseconds, where the truncating walk costs ten times more. Longer values
# (and values JSON refuses: cycles, NaN, odd keys) take the walk.
FAST_JSON_LIMIT = 16_384


def dumps(value: Any, *, redact_secrets: bool = False) -> str:
    """Compact JSON of ``value`` for a span attribute: whole when it is short
    and plain, else the truncated, JSON-safe copy from ``to_jsonable``.

    ``redact_secrets`` (for values the user hands us opaquely, like @observe
    arguments) records values under secret-looking keys as ``<redacted>``.
    Provider content is built by our recorders from known fields and is not
    scanned: a tool's JSON schema may well name a parameter ``api_key``."""
    try:
        text: str | None = json.dumps(
            value,
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError):
        text = None
    if text is None or len(text) > FAST_JSON_LIMIT or (redact_secrets and _may_hold_secret(text)):
        plain = to_jsonable(value, redact_secrets=redact_secrets)
        text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return utf8_safe(text)


def _json_default(value: Any) -> Any:
    """What the walk would make of a value JSON has no form for."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{type(value).__name__} len={len(value)}>"
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=_safe_repr)
    dumped = _model_dump(value)
    if isinstance(dumped, Mapping):
        return dumped
    return truncate_text(_safe_repr(value), MAX_STRING)


def utf8_safe(json_text: str) -> str:
    """JSON text that encodes as UTF-8: lone surrogates (from bad decoding in the
    user's data) become ``\\udXXX`` escapes, which JSON reads back unchanged."""
    if json_text.isascii():
        return json_text
    try:
        json_text.encode("utf-8")
    except UnicodeEncodeError:
        return json_text.encode("utf-8", "backslashreplace").decode("utf-8")
    return json_text


class _Converter:
    def __init__(self, max_string: int, max_items: int, max_total: int, redact: bool) -> None:
        self.redact = redact
        self.max_string = max_string
        self.max_items = max_items
        self.remaining = max_total
        self.active: set[int] = set()

    def convert(self, value: Any, depth: int) -> Any:
        self.remaining -= 1
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            # Python refuses to print ints over 4300 digits; JSON readers choke earlier.
            return (
                value if value.bit_length() <= _MAX_INT_BITS else f"<int {value.bit_length()} bits>"
            )
        if isinstance(value, float):
            # NaN and infinities are not JSON.
            return value if math.isfinite(value) else repr(value)
        if isinstance(value, str):
            return self._text(value)
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
        except Exception as exc:  # a user object that fails while being read
            return f"<unserializable {type(value).__name__}: {type(exc).__name__}>"
        finally:
            self.active.discard(marker)

    def _text(self, text: str) -> str:
        out = truncate_text(text, max(64, min(self.max_string, self.remaining)))
        self.remaining -= len(out)
        return out

    def _exhausted(self, index: int) -> bool:
        return index >= self.max_items or self.remaining <= 0

    def _convert_container(self, value: Any, depth: int) -> Any:
        if isinstance(value, Mapping):
            return self._mapping(value, depth)
        if isinstance(value, (list, tuple)):
            return self._sequence(value[: self.max_items + 1], len(value), depth)
        if isinstance(value, (set, frozenset)):
            # Sorted for a stable output; only the first items are looked at.
            first = sorted(itertools.islice(value, self.max_items + 1), key=_safe_repr)
            return self._sequence(first, len(value), depth)
        dumped = _model_dump(value)
        if isinstance(dumped, Mapping):
            return self._mapping(dumped, depth)
        return self._text(_safe_repr(value))

    def _sequence(self, items: Any, total: int, depth: int) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(items):
            if self._exhausted(index):
                out.append(f"...[{total - index} more items]")
                break
            out.append(self.convert(item, depth + 1))
        return out

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if self._exhausted(index):
                out["..."] = f"[{len(value) - index} more keys]"
                break
            name = key if isinstance(key, str) else _safe_repr(key)
            name = truncate_text(name, 256)
            self.remaining -= len(name)
            secret = self.redact and is_secret_key(name)
            out[name] = REDACTED if secret else self.convert(item, depth + 1)
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
