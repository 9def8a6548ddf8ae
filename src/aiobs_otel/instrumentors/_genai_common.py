"""What the google-genai recorders share: provider and endpoint, errors, and
contents / config / media turned into semantic-convention shapes.

Everything reads the SDK's objects by attribute name (or dict key, snake or
camel case), never through SDK imports at module level: field sets differ
across google-genai 1.x..3.x, and a missing field is simply left out.
Image and video bytes are never recorded: ``{type: "blob", mime_type, size}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .._safe import to_jsonable, truncate_text
from ._common import base64_size, listed, server_attributes
from ._common import base_attributes as _base_attributes
from ._common import error_type as _error_type

PROVIDER_GEMINI = "gcp.gemini"
PROVIDER_VERTEX = "gcp.vertex_ai"


# Types known not to be mappings: skips the (slow) ABC check on every read.
_ATTRIBUTE_TYPES: set[type] = set()


def _is_mapping(obj: Any) -> bool:
    if isinstance(obj, Mapping):
        return True
    _ATTRIBUTE_TYPES.add(type(obj))
    return False


def field(obj: Any, name: str) -> Any:
    """``obj.name`` for SDK objects; ``obj[name]`` or its camelCase key for dicts."""
    if obj is None:
        return None
    if not isinstance(obj, dict) and (type(obj) in _ATTRIBUTE_TYPES or not _is_mapping(obj)):
        return getattr(obj, name, None)
    if name in obj:
        return obj[name]
    head, *rest = name.split("_")
    return obj.get(head + "".join(p.title() for p in rest))


def enum_text(value: Any) -> str | None:
    """``FinishReason.STOP`` / ``"STOP"`` -> ``"STOP"``."""
    if value is None:
        return None
    return str(getattr(value, "name", None) or getattr(value, "value", None) or value)


# --- provider, endpoint, errors ----------------------------------------------


def _api_client(instance: Any) -> Any:
    return getattr(instance, "_api_client", None)


def provider_name(instance: Any) -> str:
    return PROVIDER_VERTEX if getattr(_api_client(instance), "vertexai", False) else PROVIDER_GEMINI


def base_attributes(instance: Any, operation: str, model: Any) -> dict[str, Any]:
    """Operation, provider, model and server (from the client's base URL)."""
    options = getattr(_api_client(instance), "_http_options", None)
    base_url = field(options, "base_url")
    server: dict[str, Any] = {}
    if isinstance(base_url, str) and base_url:
        parts = urlsplit(base_url)
        server = server_attributes(parts.hostname, parts.port, parts.scheme)
    return _base_attributes(operation, provider_name(instance), model, server)


def error_type(error: BaseException) -> str:
    """The API's status code (``google.genai.errors.APIError.code``), else the class name."""
    code = getattr(error, "code", None)
    return _error_type(error, code if type(error).__module__.startswith("google.genai") else None)


# --- media: metadata only ------------------------------------------------------


def _size(data: Any) -> int | None:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    if isinstance(data, str):  # base64 text in a dict part
        return base64_size(data)
    return None


def blob(data: Any, mime_type: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "blob", "mime_type": mime_type}
    size = _size(data)
    if size is not None:
        out["size"] = size
    return out


def media(value: Any) -> dict[str, Any] | None:
    """An Image / Video / Blob / File (object or dict) as metadata, or None."""
    if value is None:
        return None
    mime_type = field(value, "mime_type")
    for key in ("image_bytes", "video_bytes", "data"):
        data = field(value, key)
        if data is not None:
            return blob(data, mime_type)
    for key in ("uri", "gcs_uri", "file_uri"):
        uri = field(value, key)
        if uri:
            return {"type": "uri", "mime_type": mime_type, "uri": uri}
    pil_format = getattr(value, "format", None)  # a PIL image
    if pil_format and hasattr(value, "size"):
        return {"type": "blob", "mime_type": f"image/{str(pil_format).lower()}"}
    return {"type": "blob", "mime_type": mime_type} if mime_type else None


# --- parts and messages --------------------------------------------------------


def part(value: Any) -> dict[str, Any]:
    """One Part (or a str, Image, File, dict) in the conventions' part shape."""
    if isinstance(value, str):
        return {"type": "text", "content": truncate_text(value)}
    text = field(value, "text")
    if isinstance(text, str):
        kind = "reasoning" if field(value, "thought") else "text"
        return {"type": kind, "content": truncate_text(text)}
    inline = field(value, "inline_data")
    if inline is not None:
        return blob(field(inline, "data"), field(inline, "mime_type"))
    file_data = field(value, "file_data")
    if file_data is not None:
        return {"type": "uri", "mime_type": field(file_data, "mime_type"),
                "uri": field(file_data, "file_uri")}  # fmt: skip
    call = field(value, "function_call")
    if call is not None:
        return {"type": "tool_call", "id": field(call, "id"), "name": field(call, "name"),
                "arguments": to_jsonable(field(call, "args"))}  # fmt: skip
    reply = field(value, "function_response")
    if reply is not None:
        response = to_jsonable(field(reply, "response"))
        return {"type": "tool_call_response", "id": field(reply, "id"),
                "name": field(reply, "name"), "response": response}  # fmt: skip
    described = media(value)
    if described is not None:
        return described
    for key in ("executable_code", "code_execution_result"):
        if field(value, key) is not None:
            return {"type": key, "content": to_jsonable(field(value, key))}
    return {"type": type(value).__name__}


def _is_content(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "parts" in value or "role" in value
    return hasattr(value, "parts") and hasattr(value, "role")


def _message(role: Any, parts: Any) -> dict[str, Any]:
    items = parts if isinstance(parts, (list, tuple)) else [parts] if parts is not None else []
    return {"role": _role(role), "parts": [part(p) for p in items]}


def _role(role: Any) -> str:
    text = enum_text(role) or "user"
    return "assistant" if text == "model" else text


def input_messages(contents: Any) -> list[dict[str, Any]]:
    """``contents`` in any form the SDK accepts, as a list of messages: loose
    parts between Content objects are grouped into user messages, as the SDK does."""
    if isinstance(contents, Iterator):
        return []  # never consume the user's iterator before the SDK sends it
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    out: list[dict[str, Any]] = []
    loose: list[Any] = []
    for item in items:
        if _is_content(item):
            if loose:
                out.append(_message("user", loose))
                loose = []
            out.append(_message(field(item, "role"), field(item, "parts")))
        elif item is not None:
            loose.append(item)
    if loose:
        out.append(_message("user", loose))
    return out


def system_parts(instruction: Any) -> list[dict[str, Any]]:
    if instruction is None:
        return []
    if _is_content(instruction):
        return [part(p) for p in listed(field(instruction, "parts")) or ()]
    items = instruction if isinstance(instruction, (list, tuple)) else [instruction]
    return [part(p) for p in items]


def output_messages(response: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for candidate in field(response, "candidates") or []:
        content = field(candidate, "content")
        message = _message(field(content, "role") or "model", field(content, "parts") or [])
        message["finish_reason"] = finish_reason(candidate) or ""
        out.append(message)
    return out


def finish_reason(candidate: Any) -> str | None:
    text = enum_text(field(candidate, "finish_reason"))
    return text.lower() if text else None


# --- tools -----------------------------------------------------------------------


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in listed(tools) or ():
        if callable(tool) and not hasattr(tool, "function_declarations"):
            doc = (getattr(tool, "__doc__", None) or "").strip() or None
            name = getattr(tool, "__name__", repr(tool))
            out.append({"type": "function", "name": name, "description": doc})
            continue
        declarations = field(tool, "function_declarations")
        for declaration in listed(declarations) or ():
            out.append({"type": "function", "name": field(declaration, "name"),
                        "description": field(declaration, "description"),
                        "parameters": to_jsonable(field(declaration, "parameters"))})  # fmt: skip
        others = to_jsonable(tool)
        if isinstance(others, dict):
            others.pop("function_declarations", None)
            others.pop("functionDeclarations", None)
            out.extend({"type": key} for key, value in others.items() if value is not None)
    return out
