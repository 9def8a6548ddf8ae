"""Reading the openai SDK: values, the client's server and secrets, errors,
usage, and chat messages in the GenAI conventions' part form.

OpenAI objects arrive in several shapes (pydantic models, TypedDict dicts the
user wrote, extra fields an older SDK release keeps as plain dicts), so every
read goes through ``get``, which accepts both.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Mapping
from typing import Any

from ...redaction import is_secret_key, remember_secrets, secret_values
from ...values import to_jsonable
from ..common import base64_size, export_value, set_server
from ..common import error_type as _error_type
from ..record import LLMCall, Part, as_number

PROVIDER = "openai"
# The SDK's own frames and its HTTP stack (never the user's callsite).
SDK_PACKAGES = ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "anyio", "sniffio")
INSTRUMENTS = ("openai >= 1.26.0, < 4",)

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


def get_fields(obj: Any, keys: tuple[str, ...]) -> list[Any]:
    """``[get(obj, key) for key in keys]`` in one call: what a stream reads from
    every chunk (one call per chunk instead of one per field)."""
    if obj is None:
        return [None] * len(keys)
    if isinstance(obj, dict):
        return [obj.get(key) for key in keys]
    if type(obj) in _ATTRIBUTE_TYPES or not isinstance(obj, Mapping):
        _ATTRIBUTE_TYPES.add(type(obj))
        return [getattr(obj, key, None) for key in keys]
    return [obj.get(key) for key in keys]


def given(kwargs: Mapping[str, Any], key: str) -> Any:
    """A request parameter, or None when absent or the SDK's ``NOT_GIVEN``/``omit``."""
    value = kwargs.get(key)
    if value is None or type(value).__name__ in ("NotGiven", "Omit"):
        return None
    return value


# --- the client: server and secrets ----------------------------------------------

_client_secrets: weakref.WeakKeyDictionary[Any, tuple[Any, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)


def read_client(call: LLMCall, instance: Any) -> None:
    """Provider, server (from the client's base URL, so OpenAI-compatible servers
    and Azure show where the call really went) and the client's secrets."""
    call.provider = PROVIDER
    client = getattr(instance, "_client", None)
    url = getattr(client, "base_url", None)
    set_server(call, getattr(url, "host", None), getattr(url, "port", None),
               getattr(url, "scheme", None))  # fmt: skip
    if client is not None:
        call.secrets = _secrets_of(client)
        remember_secrets(call.secrets)  # scrubbed wherever recorded (an @observe parent)


def _secrets_of(client: Any) -> tuple[str, ...]:
    """The API key and any secret-looking default header the client sends."""
    key = getattr(client, "api_key", None)
    try:
        cached = _client_secrets.get(client)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        headers = dict(getattr(client, "default_headers", None) or {})
    except Exception:
        headers = {}
    header_values = [v for k, v in headers.items() if isinstance(k, str) and is_secret_key(k)]
    found = secret_values(key, *header_values)
    with contextlib.suppress(TypeError):
        _client_secrets[client] = (key, found)
    return found


def read_request(call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
    """What every openai API request has: the client, model, sampling, stream."""
    read_client(call, instance)
    model = given(kwargs, "model")
    call.request_model = model if isinstance(model, str) else None
    call.temperature = as_number(given(kwargs, "temperature"))
    call.top_p = as_number(given(kwargs, "top_p"))
    stream = given(kwargs, "stream")
    call.stream = bool(stream) if stream is not None else None


def error_type(error: BaseException) -> str:
    """The HTTP status for API status errors (``"429"``), else the class name."""
    return _error_type(error, getattr(error, "status_code", None))


def read_usage(call: LLMCall, usage: Any, *, output: bool = True) -> None:
    """Token counts, including cached input and reasoning output tokens."""
    if usage is None:
        return
    call.set_usage(
        get(usage, "prompt_tokens") if get(usage, "input_tokens") is None
        else get(usage, "input_tokens"),
        (get(usage, "completion_tokens") if get(usage, "output_tokens") is None
         else get(usage, "output_tokens")) if output else None,
        get(get(usage, "prompt_tokens_details") or get(usage, "input_tokens_details"),
            "cached_tokens"),
        get(get(usage, "completion_tokens_details") or get(usage, "output_tokens_details"),
            "reasoning_tokens"),
    )  # fmt: skip


def usage_dump(usage: Any) -> Any:
    """The SDK's usage as it reported it (its own keys; unset fields left out)."""
    if usage is None:
        return None
    return to_jsonable(usage)


# --- chat messages to the conventions' JSON form --------------------------------


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments are a JSON string in OpenAI; the conventions want the object."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw  # a truncated or malformed stream delta: keep the text
    return raw


def tool_call_part(call: Any) -> Part:
    function = get(call, "function") or {}
    return {
        "type": "tool_call",
        "id": get(call, "id"),
        "name": get(function, "name"),
        "arguments": parse_arguments(get(function, "arguments")),
    }


def content_parts(content: Any) -> list[Part]:
    """A message's ``content`` (a string or a list of content parts) as parts.
    Inline binary data (data: URLs, audio, files) is reduced to its size and type."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if not isinstance(content, list):
        return [{"type": "text", "content": str(to_jsonable(content))}]
    parts: list[Part] = []
    for item in content:
        kind = get(item, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": get(item, "text", "")})
        elif kind == "refusal":
            parts.append({"type": "refusal", "content": get(item, "refusal", "")})
        elif kind == "image_url":
            parts.append(uri_part(get(get(item, "image_url"), "url"), "image"))
        elif kind == "input_image":
            parts.append(uri_part(get(item, "image_url") or get(item, "file_id"), "image"))
        elif kind == "input_audio":
            audio = get(item, "input_audio")
            parts.append(blob(get(audio, "data"), "audio", f"audio/{get(audio, 'format', '')}"))
        elif kind in ("file", "input_file"):
            file = get(item, "file") or item
            part = blob(get(file, "file_data"), "file", None)
            part.update({k: v for k in ("file_id", "filename") if (v := get(file, k))})
            parts.append(part)
        else:
            parts.append({"type": str(kind)})
    return parts


def uri_part(url: Any, modality: str) -> Part:
    if isinstance(url, str) and url.startswith("data:"):
        header, _, data = url.partition(",")
        mime = header[5:].split(";", 1)[0] or None
        return blob(data, modality, mime)
    return {"type": "uri", "modality": modality, "uri": url}


def blob(data: Any, modality: str, mime_type: str | None) -> Part:
    """Binary content is never recorded: only its (base64) size and mime type."""
    part: Part = {"type": "blob", "modality": modality}
    if mime_type:
        part["mime_type"] = mime_type
    if isinstance(data, str):
        part["size"] = base64_size(data)
    elif isinstance(data, (bytes, bytearray)):
        part["size"] = len(data)
    return part


def export_content(content: Any) -> Any:
    """A message's ``content`` for the JSON export, as the user gave it, with
    inline media (data: URLs, audio, file data) reduced to its size."""
    if content is None or isinstance(content, str):
        return content
    if not isinstance(content, list):
        return export_value(content)
    out = []
    for item in content:
        kind = get(item, "type")
        value = export_value(item)
        if kind == "image_url" and isinstance(value, dict):
            url = get(get(item, "image_url"), "url")
            if isinstance(url, str) and url.startswith("data:"):
                header, _, data = url.partition(",")
                image = dict(value.get("image_url") or {})
                image["url"] = f"{header},<{base64_size(data)} bytes>"
                value["image_url"] = image
        elif kind == "input_audio" and isinstance(value, dict):
            audio = get(item, "input_audio")
            value["input_audio"] = {"format": get(audio, "format"),
                                    "size": base64_size(get(audio, "data") or "")}  # fmt: skip
        elif kind == "file" and isinstance(value, dict):
            file = dict(value.get("file") or {})
            if isinstance(file.get("file_data"), str):
                file["file_data"] = f"<{base64_size(get(get(item, 'file'), 'file_data'))} bytes>"
            value["file"] = file
        out.append(value)
    return out


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
