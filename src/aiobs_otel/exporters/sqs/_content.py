"""Reading span attributes as JSON values, writing JSON any parser accepts, and
the GenAI conventions' messages as plain prompt / response text."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def parse_json(value: Any) -> Any:
    """A JSON-string attribute as its value; a string that is not JSON stays a string
    (a value cut by the recorder, say); sequences become lists."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (tuple, list)):
        return list(value)
    return value


def to_json_bytes(value: Any) -> bytes:
    """UTF-8 JSON with no NaN / Infinity and no lone surrogates (strict parsers in
    other languages reject both). The common case costs one ``json.dumps``."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite float somewhere
        text = json.dumps(
            make_safe(value), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a str attribute)
        return _LONE_SURROGATE.sub(REPLACEMENT, text).encode("utf-8")


def make_safe(value: Any) -> Any:
    """A copy of ``value`` in which non-finite floats are the strings JSON's
    producers commonly use for them ("NaN", "Infinity", "-Infinity")."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, Mapping):
        return {str(k): make_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [make_safe(v) for v in value]
    return value


def json_size(value: Any) -> int:
    """The length of ``value`` as compact JSON (characters), for ordering cuts."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value) + 2
    return len(json.dumps(make_safe(value), ensure_ascii=False, separators=(",", ":")))


def _part_text(part: Any) -> str | None:
    """One message part as text: text parts as they are; tool calls, tool results
    and media summaries as compact JSON (a prompt must not silently lose them)."""
    if not isinstance(part, Mapping):
        return part if isinstance(part, str) else None
    if part.get("type") == "text":
        content = part.get("content")
        return content if isinstance(content, str) else None
    return json.dumps(make_safe(dict(part)), ensure_ascii=False, separators=(",", ":"))


def message_text(message: Any) -> str:
    if not isinstance(message, Mapping):
        return message if isinstance(message, str) else ""
    parts = message.get("parts")
    if not isinstance(parts, Sequence) or isinstance(parts, str):
        return ""
    return "\n".join(t for t in (_part_text(p) for p in parts) if t)


def messages_text(messages: Any, *, with_roles: bool) -> str | None:
    """The messages' text: one message is its text alone; several are
    ``role: text`` blocks separated by blank lines (the conversation as a prompt)."""
    if not isinstance(messages, list) or not messages:
        return None
    texts = [(str(m.get("role", "")) if isinstance(m, Mapping) else "", message_text(m))
             for m in messages]  # fmt: skip
    if len(texts) == 1 or not with_roles:
        joined = "\n\n".join(text for _, text in texts if text)
    else:
        joined = "\n\n".join(f"{role}: {text}" if role else text for role, text in texts if text)
    return joined or None


def system_text(instructions: Any) -> str | None:
    """``gen_ai.system_instructions`` (a list of parts) as text."""
    if isinstance(instructions, str):
        return instructions or None
    if isinstance(instructions, list):
        joined = "\n".join(t for t in (_part_text(p) for p in instructions) if t)
        return joined or None
    return None
