"""Per-field size limits, as llmops-observability sets them, for the fields it defines.

===============================  ==========================  =========
field                            variable                    default
===============================  ==========================  =========
trace input / output             ``AIOBS_MAX_TRACE_IO_BYTES``  50,000
span input / output: locals,     ``AIOBS_MAX_SPAN_IO_BYTES``   20,000
self, tool arguments / result,
transaction input / output,
crawl query payloads
generation prompt / response     ``AIOBS_MAX_PROMPT_BYTES``    10,000
===============================  ==========================  =========

Sizes are UTF-8 bytes of the field's compact JSON. A value within its limit
is recorded whole; a larger one is replaced by a marker that is itself valid
JSON and within the limit::

    {"truncated": true, "original_size": 81234, "limit": 20000,
     "preview": "{\\"rows\\":[1,2,3,..."}

``preview`` is the start of the value's JSON text. Values go through the same
safe copy as ``@observe`` arguments first (``values.to_jsonable``: secrets
under secret-looking keys redacted, cycles and odd objects made safe).
``@observe``'s ``args`` / ``kwargs`` / ``result`` keep aiobs's own truncation
(``values.dumps``): aiobs's models need a list and an object there.
"""

from __future__ import annotations

import json
from typing import Any

from . import env
from .redaction import json_may_hold_secret, scrub_known
from .values import clean_text, json_default, safe_json_text, shared_reprs, to_jsonable

TRACE_IO_ENV = "AIOBS_MAX_TRACE_IO_BYTES"
SPAN_IO_ENV = "AIOBS_MAX_SPAN_IO_BYTES"
PROMPT_ENV = "AIOBS_MAX_PROMPT_BYTES"
DEFAULT_TRACE_IO = 50_000
DEFAULT_SPAN_IO = 20_000
DEFAULT_PROMPT = 10_000
_MIN_LIMIT = 256  # a marker with a short preview must fit
_MARKER_OVERHEAD = 96  # bytes of the marker around its preview


def trace_io_limit() -> int:
    return env.number(TRACE_IO_ENV, DEFAULT_TRACE_IO, minimum=_MIN_LIMIT, maximum=1 << 30)


def span_io_limit() -> int:
    return env.number(SPAN_IO_ENV, DEFAULT_SPAN_IO, minimum=_MIN_LIMIT, maximum=1 << 30)


def prompt_limit() -> int:
    return env.number(PROMPT_ENV, DEFAULT_PROMPT, minimum=_MIN_LIMIT, maximum=1 << 30)


def utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(clean_text(text).encode("utf-8"))


def cut_utf8(text: str, limit: int) -> str:
    """The longest start of ``text`` whose UTF-8 form fits in ``limit`` bytes."""
    if len(text) <= limit // 4 or utf8_size(text) <= limit:
        return text
    return clean_text(text).encode("utf-8")[:limit].decode("utf-8", "ignore")


def limited_json(value: Any, limit: int, *, redact: bool = True) -> str:
    """Compact JSON of ``value`` within ``limit`` bytes (see the module doc);
    ``redact=False`` for a value whose secrets were replaced already."""
    reprs = shared_reprs()  # one repr per object, whichever path needs it
    try:
        full: str | None = json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
            default=lambda v: json_default(v, reprs),
        )  # fmt: skip
    except Exception:  # JSON refuses it (a cycle, NaN) or a user object fails while read
        full = None
    secrets = full is not None and redact and json_may_hold_secret(full)
    if full is not None:
        full = scrub_known(safe_json_text(full))  # a client's key quoted in the value
        if not secrets:
            size = utf8_size(full)
            return full if size <= limit else truncation_marker(full, size, limit)
    walked = to_jsonable(
        value, max_string=limit, max_items=1000, max_total=limit, redact_secrets=redact,
        reprs=reprs,
    )  # fmt: skip
    text = scrub_known(json.dumps(walked, ensure_ascii=False, separators=(",", ":")))
    # A value JSON holds as it is keeps its size as the test; one it cannot
    # hold (a cycle, an odd object) is measured by its safe copy.
    original = utf8_size(full) if full is not None else utf8_size(text)
    if original <= limit and utf8_size(text) <= limit:
        return text
    return truncation_marker(text, original, limit)


def truncation_marker(text: str, original_size: int, limit: int) -> str:
    """The marker (JSON text within ``limit`` bytes) standing for ``text``."""
    budget = max(limit - _MARKER_OVERHEAD, 16)
    preview = cut_utf8(text, budget)
    marker = _marker(preview, original_size, limit)
    # Escapes (quotes, backslashes, control characters) make the JSON string
    # longer than the preview: shrink until it fits.
    while utf8_size(marker) > limit and preview:
        excess = utf8_size(marker) - limit
        preview = cut_utf8(preview, max(utf8_size(preview) - excess - 8, 0))
        marker = _marker(preview, original_size, limit)
    return marker


def _marker(preview: str, original_size: int, limit: int) -> str:
    return json.dumps(
        {"truncated": True, "original_size": original_size, "limit": limit, "preview": preview},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def limited_text(text: str, limit: int) -> tuple[Any, bool]:
    """A prompt or response for the JSON export: ``(text, False)`` within the
    limit, else ``(marker as a dict, True)``."""
    text = clean_text(text)
    size = utf8_size(text)
    if size <= limit:
        return text, False
    marker: dict[str, Any] = json.loads(truncation_marker(text, size, limit))
    return marker, True


def cut_text(text: str, limit: int) -> str:
    """A prompt or response for a span's messages: cut to ``limit`` bytes with
    a note saying so (the messages stay in the conventions' form)."""
    text = clean_text(text)
    size = utf8_size(text)
    if size <= limit:
        return text
    return f"{cut_utf8(text, limit)}...[truncated, {size} bytes in all]"
