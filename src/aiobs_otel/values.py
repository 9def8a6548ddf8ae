"""Safe representations of user values: JSON any parser reads, of bounded size.

A value JSON cannot hold becomes a truncated, JSON-safe stand-in:

* strings over ``MAX_STRING`` characters and collections over ``MAX_ITEMS``
  items are cut, saying how much was cut; a whole value stays near ``MAX_TOTAL``;
* bytes become ``<bytes len=N>``, cycles ``<cycle T>``, pydantic models and
  dataclasses their fields, other objects their ``repr`` (read once);
* NaN and infinities become the strings ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"``; lone surrogates (from badly decoded user data) become
  U+FFFD, so every export is valid UTF-8 JSON for parsers outside Python;
* with ``redact_secrets``, values under secret-looking keys are ``<redacted>``;
  ``dumps`` also scrubs the secret values clients hold (``redaction.scrub_known``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Mapping
from contextvars import ContextVar, Token
from typing import Any

from .redaction import REDACTED, is_secret_key, json_may_hold_secret, scrub_known

MAX_STRING = 4096
MAX_ITEMS = 100
MAX_DEPTH = 6
MAX_TOTAL = 262_144  # characters, roughly, in one converted value
_MAX_INT_BITS = 1024

# JSON up to this long is recorded whole: the C encoder makes it in a few
# microseconds, where the truncating walk costs ten times more. Longer values
# (and values JSON refuses: cycles, NaN, odd keys) take the walk.
FAST_JSON_LIMIT = 16_384

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}

Reprs = dict[int, tuple[Any, str]]
"""Reprs already taken, by object id (the object kept, so its id stays its own)."""
# The reprs of one @observe call (arguments, result, locals...): a slow
# ``__repr__`` runs once per call, whatever records the object.
_CALL_REPRS: ContextVar[Reprs | None] = ContextVar("aiobs_otel_call_reprs", default=None)


def share_reprs(reprs: Reprs) -> Token[Reprs | None]:
    """Until ``stop_sharing``, every conversion in this context uses ``reprs``
    (one call's recording steps; never around the user's code)."""
    return _CALL_REPRS.set(reprs)


def stop_sharing(token: Token[Reprs | None]) -> None:
    _CALL_REPRS.reset(token)


def shared_reprs() -> Reprs:
    """The reprs of the call being recorded, else a new memo (one conversion's)."""
    shared = _CALL_REPRS.get()
    return {} if shared is None else shared


def clean_text(text: str) -> str:
    """``text`` as valid UTF-8: lone surrogates become U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _replace_surrogates(text)
    return text


def _replace_surrogates(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def finite_or_text(value: float) -> float | str:
    """A finite float as is; NaN and infinities as their JSON-safe names."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else _NON_FINITE[value]


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
    max_depth: int = MAX_DEPTH,
    redact_secrets: bool = False,
    reprs: Reprs | None = None,
) -> Any:
    """A JSON-safe copy of ``value`` (see the module doc)."""
    memo = shared_reprs() if reprs is None else reprs
    converter = _Converter(max_string, max_items, max_total, redact_secrets, memo, max_depth)
    return converter.convert(value, 0)


def dumps(value: Any, *, redact_secrets: bool = False) -> str:
    """Compact JSON of ``value`` for a span attribute: whole when it is short
    and plain, else the truncated, JSON-safe copy from ``to_jsonable``.

    ``redact_secrets`` (for values the user hands us opaquely, like @observe
    arguments) records values under secret-looking keys as ``<redacted>``.
    Provider content is built by our adapters from known fields and is not
    scanned: a tool's JSON schema may well name a parameter ``api_key``."""
    # One repr per object per call, whichever path needs it (a slow __repr__
    # must not run twice).
    try:
        text: str | None = _FAST_ENCODER.encode(value)
    except Exception:  # JSON refuses it, or a user object fails while being read
        text = None
    if (
        text is None
        or len(text) > FAST_JSON_LIMIT
        or (redact_secrets and json_may_hold_secret(text))
    ):
        converter = _Converter(MAX_STRING, MAX_ITEMS, MAX_TOTAL, redact_secrets, shared_reprs())
        plain = converter.convert(value, 0)
        text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    # a client's key in a value (an SDK response an @observe function returns)
    return scrub_known(safe_json_text(text))


def safe_json_text(json_text: str) -> str:
    """JSON text that encodes as UTF-8: lone surrogates (which would also make a
    non-Python parser fail) become U+FFFD."""
    if json_text.isascii():
        return json_text
    try:
        json_text.encode("utf-8")
    except UnicodeEncodeError:
        return _replace_surrogates(json_text)
    return json_text


def json_default(value: Any, reprs: Reprs | None = None) -> Any:
    """What the walk would make of a value JSON has no form for (``reprs``
    remembers the reprs already taken, by object id)."""
    structured = _structured(value)
    if structured is not _NO_FORM:
        return structured
    return truncate_text(_memo_repr(value, reprs), MAX_STRING)


_NO_FORM = object()


def _structured(value: Any) -> Any:
    """The JSON form of a value that has one without its repr, else ``_NO_FORM``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{type(value).__name__} len={len(value)}>"
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=safe_repr)
    if isinstance(value, Mapping):  # a mapping that is not a dict: its items (may raise)
        return dict(value.items())
    dumped = model_fields(value)
    if isinstance(dumped, Mapping):
        return dumped
    return _NO_FORM


class _NoSharedReprs(Exception):
    """An object only its repr describes, outside a call that shares reprs:
    the walk takes it (with a memo of its own), so the repr still runs once."""


def _fast_default(value: Any) -> Any:
    structured = _structured(value)
    if structured is not _NO_FORM:
        return structured
    if _CALL_REPRS.get() is None:
        raise _NoSharedReprs
    return truncate_text(_memo_repr(value, None), MAX_STRING)


# Built once: ``json.dumps`` with options makes a new encoder on every call.
_FAST_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_fast_default
)


def _memo_repr(value: Any, reprs: Reprs | None) -> str:
    if reprs is None:
        reprs = _CALL_REPRS.get()
        if reprs is None:
            return safe_repr(value)
    found = reprs.get(id(value))
    if found is None:
        found = reprs[id(value)] = (value, safe_repr(value))
    return found[1]


class _Converter:
    def __init__(
        self,
        max_string: int,
        max_items: int,
        max_total: int,
        redact: bool,
        reprs: Reprs,
        max_depth: int = MAX_DEPTH,
    ) -> None:
        self.reprs = reprs
        self.max_depth = max_depth
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
            return finite_or_text(value)
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return f"<{type(value).__name__} len={len(value)}>"
        if depth >= self.max_depth:
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
        out = clean_text(truncate_text(text, max(64, min(self.max_string, self.remaining))))
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
            first = sorted(itertools.islice(value, self.max_items + 1), key=safe_repr)
            return self._sequence(first, len(value), depth)
        dumped = model_fields(value)
        if isinstance(dumped, Mapping):
            return self._mapping(dumped, depth)
        return self._text(_memo_repr(value, self.reprs))

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
        # A mapping whose items() raises (an odd subclass) becomes one
        # "<unserializable ...>" marker in convert(); the rest of the value stays.
        for index, (key, item) in enumerate(itertools.islice(value.items(), self.max_items + 1)):
            if self._exhausted(index):
                out["..."] = f"[{len(value) - index} more keys]"
                break
            name = key if isinstance(key, str) else _memo_repr(key, self.reprs)
            name = clean_text(truncate_text(name, 256))
            self.remaining -= len(name)
            secret = self.redact and is_secret_key(name)
            out[name] = REDACTED if secret else self.convert(item, depth + 1)
        return out


def model_fields(value: Any) -> Any:
    """Structured data from pydantic models and dataclasses (unset fields left
    out), or None for anything else."""
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


def safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"
