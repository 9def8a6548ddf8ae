"""Where message content goes, read once when an instrumentor is instrumented.

``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (case-insensitive):

* unset, ``SPAN_ONLY`` or ``true``: content on the span (our default: aiobs
  always recorded prompts and answers);
* ``EVENT_ONLY``: content in the ``gen_ai.client.inference.operation.details``
  event only; ``SPAN_AND_EVENT``: both;
* ``NO_CONTENT`` or ``false``: no content anywhere.

``OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT=true|false`` overrides whether the
event is emitted (by default: in the two EVENT modes). The JSON export holds
the content unless the mode is NO_CONTENT.
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass

from .. import env

logger = logging.getLogger("aiobs_otel")

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
EMIT_EVENT_ENV = "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT"


class ContentMode(enum.Enum):
    NO_CONTENT = "no_content"
    SPAN_ONLY = "span_only"
    EVENT_ONLY = "event_only"
    SPAN_AND_EVENT = "span_and_event"


_ALIASES = {
    "true": ContentMode.SPAN_ONLY,
    "1": ContentMode.SPAN_ONLY,
    "yes": ContentMode.SPAN_ONLY,
    "on": ContentMode.SPAN_ONLY,
    "false": ContentMode.NO_CONTENT,
    "0": ContentMode.NO_CONTENT,
    "no": ContentMode.NO_CONTENT,
    "off": ContentMode.NO_CONTENT,
    "none": ContentMode.NO_CONTENT,
}


@dataclass(frozen=True)
class ContentSettings:
    """Where content goes: the span, the details event, the JSON export."""

    mode: ContentMode
    emit_event: bool

    @property
    def captured(self) -> bool:
        return self.mode is not ContentMode.NO_CONTENT

    @property
    def on_span(self) -> bool:
        return self.mode in (ContentMode.SPAN_ONLY, ContentMode.SPAN_AND_EVENT)

    @classmethod
    def from_flag(cls, capture: bool) -> ContentSettings:
        """``instrument(capture_content=...)``: on the span, or nowhere."""
        mode = ContentMode.SPAN_ONLY if capture else ContentMode.NO_CONTENT
        return cls(mode, _emit_event(mode))


def content_mode_from_env() -> ContentMode:
    raw = (os.environ.get(CAPTURE_CONTENT_ENV) or "").strip().lower()
    if not raw:
        return ContentMode.SPAN_ONLY
    if raw in _ALIASES:
        return _ALIASES[raw]
    for mode in ContentMode:
        if mode.value == raw:
            return mode
    logger.warning(
        "aiobs-otel: %s=%r is not one of NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT, "
        "true, false; content stays on (SPAN_ONLY)",
        CAPTURE_CONTENT_ENV,
        raw,
    )
    return ContentMode.SPAN_ONLY


def _emit_event(mode: ContentMode) -> bool:
    raw = (os.environ.get(EMIT_EVENT_ENV) or "").strip().lower()
    if raw in ("true", "false"):
        return raw == "true"
    return mode in (ContentMode.EVENT_ONLY, ContentMode.SPAN_AND_EVENT)


def content_settings_from_env() -> ContentSettings:
    mode = content_mode_from_env()
    return ContentSettings(mode, _emit_event(mode))


def capture_content_from_env() -> bool:
    """Whether content is captured at all (any mode but NO_CONTENT)."""
    return content_mode_from_env() is not ContentMode.NO_CONTENT


EXPORT_VECTORS_ENV = "AIOBS_EXPORT_EMBEDDINGS"


def export_vectors(option: object = None) -> bool:
    """Whether the JSON export holds embedding vectors (as aiobs's did):
    ``instrument(export_embedding_vectors=...)`` when given, else yes unless
    ``AIOBS_EXPORT_EMBEDDINGS=false``."""
    return env.flag(EXPORT_VECTORS_ENV, True) if option is None else bool(option)
