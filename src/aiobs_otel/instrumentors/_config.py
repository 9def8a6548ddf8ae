"""Settings read once, when an instrumentor is instrumented."""

from __future__ import annotations

import os

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_OFF = {"false", "0", "no", "off", "no_content", "none"}


def capture_content_from_env() -> bool:
    """Content capture is on unless the standard variable turns it off.

    aiobs always recorded prompts and answers, so the default is on.
    ``false`` / ``NO_CONTENT`` turn it off; ``true`` and the convention's
    ``SPAN_ONLY`` / ``SPAN_AND_EVENT`` / ``EVENT_ONLY`` keep it on (content is
    written on the span either way).
    """
    raw = os.environ.get(CAPTURE_CONTENT_ENV)
    if raw is None or not raw.strip():
        return True
    return raw.strip().lower() not in _OFF
