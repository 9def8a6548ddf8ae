"""The user's masking hook: one callable applied to every recorded string
before it leaves the process (PII: emails, names, account numbers...).

Usage::

    import re
    import aiobs_otel

    EMAIL = re.compile(r"[\\w.+-]+@[\\w-]+\\.[\\w.]+")
    aiobs_otel.set_mask(lambda text: EMAIL.sub("<email>", text))

The mask gets a ``str`` and returns the ``str`` to record. It is applied to

* every string attribute of the spans aiobs-otel writes (and each string of a
  string-list attribute): model names, error messages, exception events and
  status descriptions, user ids and labels, and the JSON-valued attributes
  (messages, ``@observe`` arguments and results) as their JSON text — so a
  mask must keep JSON text valid (replace with text that has no quote or
  backslash);
* every string of the JSON export, values and object keys (a label value
  can be a key: costs per label), at ``flush()``, before any sink (file,
  exporter, upload) sees it.

Each value is masked once. A mask that raises is a bug that must not leak
what it was meant to hide: the value is recorded as ``<mask failed>`` and a
warning is logged (once). Unset (the default), the hook costs one ``is None``
test per span. Spans of other instrumentations (HTTP clients, databases) are
not ours to change: they are not masked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("aiobs_otel")

Mask = Callable[[str], str]
MASK_FAILED = "<mask failed>"

_mask: Mask | None = None
_warned = False


def set_mask(mask: Mask | None) -> None:
    """Install ``mask`` (see the module doc); None removes it."""
    global _mask, _warned
    if mask is not None and not callable(mask):
        raise TypeError(f"the mask must be a callable taking and returning str, got {mask!r}")
    _mask = mask
    _warned = False


def current_mask() -> Mask | None:
    return _mask


def apply(mask: Mask, text: str) -> str:
    """``mask(text)``; ``<mask failed>`` when it raises or returns a non-string."""
    try:
        out = mask(text)
    except Exception:
        _warn_once("raised")
        return MASK_FAILED
    if not isinstance(out, str):
        _warn_once(f"returned {type(out).__name__}, not str")
        return MASK_FAILED
    return out


def export_masker() -> Callable[[Any], Any] | None:
    """What masks each piece of the JSON export (events, sessions, the trace
    tree) as it is written; None when no mask is set."""
    mask = _mask
    if mask is None:
        return None
    return lambda value: mask_values(value, mask)


def mask_values(value: Any, mask: Mask) -> Any:
    """A copy of a JSON-shaped value with every string masked, object keys too."""
    if isinstance(value, str):
        return apply(mask, value)
    if isinstance(value, dict):
        return {
            apply(mask, key) if isinstance(key, str) else key: mask_values(item, mask)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_values(item, mask) for item in value]
    return value


def _warn_once(what: str) -> None:
    global _warned
    if _warned:
        return
    _warned = True
    logger.warning(
        "aiobs-otel: the mask set with set_mask() %s; the values it failed on are recorded as %r",
        what,
        MASK_FAILED,
        exc_info=what == "raised",
    )
