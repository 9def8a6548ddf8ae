"""Small readers every adapter uses: the server from a URL, error types, lists,
base64 sizes, and JSON-safe request values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..values import to_jsonable

DEFAULT_PORTS = {"https": 443, "http": 80}


def set_server(call: Any, host: Any, port: Any, scheme: Any) -> None:
    """``server.address`` / ``server.port`` (the scheme's default port when none)."""
    if not isinstance(host, str) or not host:
        return
    call.server_address = host
    port = port or DEFAULT_PORTS.get(scheme if isinstance(scheme, str) else "")
    if port:
        call.server_port = int(port)


def error_type(error: BaseException, status: Any) -> str:
    """The API's status (``"429"``) when there is one, else the error's class name."""
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status)
    return type(error).__qualname__


def listed(value: Any) -> list[Any] | tuple[Any, ...] | None:
    """``value`` when it is a list or tuple, else None. Other iterables (a
    generator the user passed) are never read: that would consume them
    before the SDK sends them."""
    return value if isinstance(value, (list, tuple)) else None


def base64_size(text: str) -> int:
    """The decoded size of base64 ``text``, without decoding it."""
    if any(c in text for c in " \n\r\t"):
        text = "".join(text.split())
    return len(text) * 3 // 4 - text[-2:].count("=")


def other_params(kwargs: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The request keyword arguments not in ``known``, as given (NOT_GIVEN and
    omitted values left out): the aiobs event's ``request.other``. Values are
    made JSON-safe at export time; secret-looking keys (``extra_headers``'
    Authorization) are redacted then."""
    return {
        key: value
        for key, value in kwargs.items()
        if key not in known and value is not None and type(value).__name__ not in _UNSET_TYPES
    }


_UNSET_TYPES = frozenset({"NotGiven", "Omit"})


# Request values (tool schemas, response formats) nest deeper than function arguments.
EXPORT_DEPTH = 32


def export_value(value: Any) -> Any:
    """A request or response value for the JSON export: JSON-safe, bounded,
    secrets under secret-looking keys redacted."""
    return to_jsonable(value, redact_secrets=True, max_depth=EXPORT_DEPTH)


def embeddings_response(
    call: Any, *, vectors: list[Any] | None, usage: Any, model: Any, object_type: Any
) -> dict[str, Any]:
    """The aiobs embeddings event's response (OpenAI's and Gemini's alike): the
    vectors at ``data[i].embedding``; ``id`` is kept, null, for aiobs's shape."""
    data = None
    if vectors is not None:
        data = [{"index": i, "embedding": v, "object": "embedding"} for i, v in enumerate(vectors)]
    return {
        "id": None,
        "model": model,
        "usage": usage,
        "object": object_type,
        "data": data,
        "embedding_dimensions": call.embedding_dimensions,
    }
