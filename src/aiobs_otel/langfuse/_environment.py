"""The environment Langfuse shows: llmops's ``ENV``, held to Langfuse's rule.

Langfuse accepts an environment matching ``^(?!langfuse)[a-z0-9-_]+$`` of at
most 40 characters. Another value is not sent (Langfuse would reject or
rename it): one warning per value says so, and the user's call goes on.
"""

from __future__ import annotations

import logging
import os
import re
import threading

logger = logging.getLogger("aiobs_otel")

# As aiobs_otel.tracing reads them, then the Langfuse SDKs' own variable
# (which llmops-observability sets from ENV).
ENVIRONMENT_VARIABLES = ("LLMOPS_ENV", "ENV", "LANGFUSE_TRACING_ENVIRONMENT")
MAX_LENGTH = 40
_RULE = re.compile(r"^(?!langfuse)[a-z0-9\-_]+$")
_MAX_REMEMBERED = 256

_checked: dict[str, bool] = {}
_lock = threading.Lock()


def is_valid_environment(value: str) -> bool:
    return len(value) <= MAX_LENGTH and _RULE.match(value) is not None


def valid_environment(value: object) -> str | None:
    """``value`` when Langfuse accepts it; else None, after one warning per value."""
    if not isinstance(value, str):
        return None
    known = _checked.get(value)
    if known is None:
        known = is_valid_environment(value)
        with _lock:
            if len(_checked) >= _MAX_REMEMBERED:
                _checked.clear()
            _checked[value] = known
        if not known:
            logger.warning(
                "aiobs-otel: environment %r is not sent to Langfuse: it must match "
                "^(?!langfuse)[a-z0-9-_]+$ and have at most %d characters",
                value[:100], MAX_LENGTH,
            )  # fmt: skip
    return value if known else None


def process_environment() -> str | None:
    """``LLMOPS_ENV``, else ``ENV``, else ``LANGFUSE_TRACING_ENVIRONMENT`` (read when a
    span starts: a program may set them late)."""
    for name in ENVIRONMENT_VARIABLES:
        value = (os.environ.get(name) or "").strip()
        if value:
            return value
    return None
