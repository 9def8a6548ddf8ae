"""What the OpenAI chat and embeddings recorders share: server, errors, usage,
parameters, and the conversion of chat messages to the GenAI conventions'
JSON message form.

OpenAI objects arrive in several shapes (pydantic models, TypedDict dicts the
user wrote, extra fields an older SDK release keeps as plain dicts), so every
read goes through ``get``, which accepts both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .. import attributes as A
from .._safe import dumps, to_jsonable
from ._common import base64_size, server_attributes
from ._common import base_attributes as _base_attributes
from ._common import error_type as _error_type
from ._lifecycle import ProviderCall

PROVIDER = "openai"

# Types known not to be mappings: skips the (slow) ABC check on every read.
_ATTRIBUTE_TYPES: set[type] = set()


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for mappings, ``obj.key`` otherwise; ``default`` when absent."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(key)
    elif type(obj) in _ATTRIBUTE_TYPES:
        value = getattr(obj, key, None)
    elif isinstance(obj, Mapping):
        value = obj.get(key)
    else:
        _ATTRIBUTE_TYPES.add(type(obj))
        value = getattr(obj, key, None)
    return default if value is None else value


def given(kwargs: Mapping[str, Any], key: str) -> Any:
    """A request parameter, or None when absent or the SDK's ``NOT_GIVEN``/``omit``."""
    value = kwargs.get(key)
    if value is None or type(value).__name__ in ("NotGiven", "Omit"):
        return None
    return value


def base_attributes(instance: Any, operation: str, model: Any) -> dict[str, Any]:
    """Operation, provider, model and server of a call on an SDK resource. The
    server comes from the client's base URL (so OpenAI-compatible servers and
    Azure show where the call really went)."""
    url = getattr(getattr(instance, "_client", None), "base_url", None)
    server = server_attributes(
        getattr(url, "host", None), getattr(url, "port", None), getattr(url, "scheme", None)
    )
    return _base_attributes(operation, PROVIDER, model, server)


def error_type(error: BaseException) -> str:
    """The HTTP status for API status errors (``"429"``), else the class name."""
    return _error_type(error, getattr(error, "status_code", None))


def usage_attributes(call: ProviderCall, usage: Any, *, output: bool = True) -> dict[str, Any]:
    """Token counts, including cached input and reasoning output tokens, as
    attributes for the caller's one ``call.set``; the call keeps them for metrics."""
    if usage is None:
        return {}
    call.input_tokens = _int(get(usage, "prompt_tokens"))
    call.output_tokens = _int(get(usage, "completion_tokens")) if output else None
    return {
        A.GEN_AI_USAGE_INPUT_TOKENS: call.input_tokens,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: call.output_tokens,
        A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS:
            _int(get(get(usage, "prompt_tokens_details"), "cached_tokens")),
        A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS:
            _int(get(get(usage, "completion_tokens_details"), "reasoning_tokens")),
    }  # fmt: skip


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def params_json(kwargs: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    """Request parameters without a semantic-convention name, as a JSON object."""
    params = {key: given(kwargs, key) for key in keys}
    params = {key: value for key, value in params.items() if value is not None}
    return dumps(params) if params else None


# --- chat messages to the conventions' JSON form --------------------------------


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments are a JSON string in OpenAI; the conventions want the object."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw  # a truncated or malformed stream delta: keep the text
    return raw


def tool_call_part(call: Any) -> dict[str, Any]:
    function = get(call, "function") or {}
    return {
        "type": "tool_call",
        "id": get(call, "id"),
        "name": get(function, "name"),
        "arguments": parse_arguments(get(function, "arguments")),
    }


def content_parts(content: Any) -> list[dict[str, Any]]:
    """A message's ``content`` (a string or a list of content parts) as parts.
    Inline binary data (data: URLs, audio, files) is reduced to its size and type."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if not isinstance(content, list):
        return [{"type": "text", "content": str(to_jsonable(content))}]
    parts: list[dict[str, Any]] = []
    for item in content:
        kind = get(item, "type")
        if kind == "text":
            parts.append({"type": "text", "content": get(item, "text", "")})
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": get(item, "refusal", "")})
        elif kind == "image_url":
            parts.append(_uri_part(get(get(item, "image_url"), "url"), "image"))
        elif kind == "input_audio":
            audio = get(item, "input_audio")
            parts.append(_blob(get(audio, "data"), "audio", f"audio/{get(audio, 'format', '')}"))
        elif kind == "file":
            file = get(item, "file")
            part = _blob(get(file, "file_data"), "file", None)
            part.update({k: v for k in ("file_id", "filename") if (v := get(file, k))})
            parts.append(part)
        else:
            parts.append({"type": str(kind)})
    return parts


def _uri_part(url: Any, modality: str) -> dict[str, Any]:
    if isinstance(url, str) and url.startswith("data:"):
        header, _, data = url.partition(",")
        mime = header[5:].split(";", 1)[0] or None
        return _blob(data, modality, mime)
    return {"type": "uri", "modality": modality, "uri": url}


def _blob(data: Any, modality: str, mime_type: str | None) -> dict[str, Any]:
    """Binary content is never recorded: only its (base64) size and mime type."""
    part: dict[str, Any] = {"type": "blob", "modality": modality}
    if mime_type:
        part["mime_type"] = mime_type
    if isinstance(data, str):
        part["size"] = base64_size(data)
    elif isinstance(data, (bytes, bytearray)):
        part["size"] = len(data)
    return part


def input_message(message: Any) -> dict[str, Any]:
    role = get(message, "role")
    if role == "tool":
        return {
            "role": "tool",
            "parts": [{
                "type": "tool_call_response",
                "id": get(message, "tool_call_id"),
                "response": _text_or_parts(get(message, "content")),
            }],
        }  # fmt: skip
    parts = content_parts(get(message, "content"))
    parts.extend(tool_call_part(call) for call in get(message, "tool_calls") or [])
    legacy_call = get(message, "function_call")
    if legacy_call:
        parts.append(tool_call_part({"function": legacy_call}))
    out: dict[str, Any] = {"role": role, "parts": parts}
    if get(message, "name"):
        out["name"] = get(message, "name")
    return out


def _text_or_parts(content: Any) -> Any:
    parts = content_parts(content)
    if all(p.get("type") == "text" for p in parts):
        return "".join(str(p.get("content", "")) for p in parts)
    return parts


def system_instructions(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """The text of the system and developer messages, as instruction parts."""
    parts: list[dict[str, Any]] = []
    for message in messages:
        if get(message, "role") in ("system", "developer"):
            parts.extend(content_parts(get(message, "content")))
    return parts


def output_message(message: Any, finish_reason: Any) -> dict[str, Any]:
    parts = content_parts(get(message, "content"))
    if get(message, "refusal"):
        parts.append({"type": "refusal", "content": get(message, "refusal")})
    parts.extend(tool_call_part(call) for call in get(message, "tool_calls") or [])
    if get(message, "function_call"):
        parts.append(tool_call_part({"function": get(message, "function_call")}))
    return {
        "role": get(message, "role") or "assistant",
        "parts": parts,
        "finish_reason": finish_reason or "",
    }
