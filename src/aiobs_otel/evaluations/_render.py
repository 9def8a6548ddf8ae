"""The judged call's input and output as bounded text for the judge's prompt.

The judge is another model, often another company's: values under keys that
name secrets are replaced, and everything is cut to a few thousand characters
(the judge needs the gist, and the copy is made on the caller's thread). A
string is used as it is (cut); an answer object of a known SDK shape gives its
text; anything else becomes compact JSON of a bounded walk.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_CHARS = 6000
_MAX_ITEMS = 50
_MAX_DEPTH = 5
_SECRET_KEY = re.compile(
    r"^token$|authorization|api[_-]?key|secret|passw|access_token|refresh_token|cookie|"
    r"credential|private_key",
    re.IGNORECASE,
)


def render(value: Any) -> str:
    text = value if isinstance(value, str) else (_answer_text(value) or _json(value))
    return text if len(text) <= MAX_CHARS else f"{text[:MAX_CHARS]}...[truncated]"


def _answer_text(value: Any) -> str | None:
    """The text of common model answers: OpenAI chat completions (objects and
    dicts), Bedrock ``converse``, Anthropic messages, Gemini responses."""
    choices = _get(value, "choices")
    if isinstance(choices, list) and choices:
        content = _get(_get(choices[0], "message"), "content")
        return content if isinstance(content, str) else None
    converse = _get(_get(_get(value, "output"), "message"), "content")
    if isinstance(converse, list):
        return _texts(converse)
    candidates = _get(value, "candidates")
    if isinstance(candidates, list) and candidates:
        return _texts(_get(_get(candidates[0], "content"), "parts"))
    blocks = _get(value, "content")
    if isinstance(blocks, list) and _get(value, "role") == "assistant":
        return _texts(blocks)
    return None


def _texts(parts: Any) -> str | None:
    if not isinstance(parts, list):
        return None
    found = [t for p in parts if isinstance(t := _get(p, "text"), str)]
    return "".join(found) if found else None


def _get(value: Any, key: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(key)
    if value is None or isinstance(value, (str, bytes, int, float, list, tuple)):
        return None
    try:
        return getattr(value, key, None)
    except Exception:  # a property that raises is no answer
        return None


def _json(value: Any) -> str:
    return json.dumps(_walk(value, 0), ensure_ascii=False, default=str)


def _walk(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value[:MAX_CHARS]
    if isinstance(value, (bytes, bytearray)):
        return f"<bytes len={len(value)}>"
    if depth >= _MAX_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        out = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= _MAX_ITEMS:
                out["..."] = f"{len(value) - _MAX_ITEMS} more"
                break
            name = str(key)
            out[name] = "<redacted>" if _SECRET_KEY.search(name) else _walk(item, depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_walk(item, depth + 1) for item in itertools.islice(value, _MAX_ITEMS)]
    dump = getattr(value, "model_dump", None)  # pydantic models (SDK types)
    if callable(dump):
        try:
            return _walk(dump(), depth + 1)
        except Exception:
            pass
    text = repr(value)
    return text[:MAX_CHARS]
