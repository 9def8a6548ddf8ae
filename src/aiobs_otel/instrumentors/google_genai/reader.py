"""Reading the google-genai SDK: provider and endpoint, the client's secrets,
errors, and contents / config / media in the conventions' shapes and in the
JSON export's.

Everything reads the SDK's objects by attribute name (or dict key, snake or
camel case), never through SDK imports at module level: field sets differ
across google-genai 1.x..3.x, and a missing field is simply left out.
Image and video bytes are never recorded: ``{type: "blob", mime_type, size}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ...redaction import is_secret_key, remember_secrets, secret_values
from ...values import MAX_TOTAL, to_jsonable, truncate_text
from ..common import base64_size, listed, set_server
from ..common import error_type as _error_type
from ..record import LLMCall

PROVIDER_GEMINI = "gcp.gemini"
PROVIDER_VERTEX = "gcp.vertex_ai"
INSTRUMENTS = ("google-genai >= 1.3.0, < 4",)
# The SDK's own frames and its HTTP / auth stack (never the user's callsite).
SDK_PACKAGES = ("google.genai", "google.auth", "httpx", "httpx2", "httpcore", "httpcore2",
                "anyio", "sniffio", "aiohttp", "requests", "urllib3", "tenacity")  # fmt: skip


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


def read_client(call: LLMCall, instance: Any, model: Any) -> None:
    """Provider, model, server (from the client's base URL) and the client's secrets."""
    client = _api_client(instance)
    call.provider = PROVIDER_VERTEX if getattr(client, "vertexai", False) else PROVIDER_GEMINI
    call.request_model = model if isinstance(model, str) and model else None
    options = getattr(client, "_http_options", None)
    base_url = field(options, "base_url")
    if isinstance(base_url, str) and base_url:
        parts = urlsplit(base_url)
        set_server(call, parts.hostname, parts.port, parts.scheme)
    headers = field(options, "headers") or {}
    call.secrets = secret_values(
        getattr(client, "api_key", None),
        *(v for k, v in dict(headers).items() if isinstance(k, str) and is_secret_key(k)),
    )
    remember_secrets(call.secrets)  # scrubbed wherever recorded (an @observe parent)


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


# --- the JSON export: SDK values as dicts, media as size + mime ---------------------

_BYTES_FIELDS = ("data", "image_bytes", "video_bytes")


def export_dump(value: Any) -> Any:
    """An SDK value (pydantic model, dict, list, str...) for the JSON export:
    its fields as the SDK holds them (unset ones left out), bytes replaced by
    their ``size``, secret-looking keys (``http_options`` headers) redacted.
    Text is kept whole, as aiobs keeps it (and as the OpenAI messages are);
    only a value over the overall budget (``MAX_TOTAL`` characters) is cut."""
    return to_jsonable(
        _without_bytes(value), redact_secrets=True, max_depth=32, max_string=MAX_TOTAL
    )


def snapshot(config: Any) -> Any:
    """A shallow copy of a request config, taken when the call starts: the
    export is written at flush time, and in between the SDK (Veo's usage
    header) or the user (one config reused with a new temperature) may change
    the object they passed."""
    if isinstance(config, dict):
        return dict(config)
    copy = getattr(config, "model_copy", None)
    if callable(copy) and not isinstance(config, type):
        try:
            return copy()
        except Exception:
            return config
    return config


def _without_bytes(value: Any, depth: int = 0) -> Any:
    if depth > 12:
        return value
    if hasattr(value, "model_dump") and not isinstance(value, type):
        try:
            value = value.model_dump(exclude_none=True)
        except Exception:
            return value
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if key in _BYTES_FIELDS and (
                isinstance(item, (bytes, bytearray, memoryview))
                or (isinstance(item, str) and ("mime_type" in value or "mimeType" in value))
            ):
                out["size"] = _size(item)
            else:
                out[key] = _without_bytes(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_without_bytes(item, depth + 1) for item in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"size": len(value)}
    pil_format = getattr(value, "format", None)  # a PIL image
    if pil_format and hasattr(value, "size") and hasattr(value, "mode"):
        return {"mime_type": f"image/{str(pil_format).lower()}"}
    return value
