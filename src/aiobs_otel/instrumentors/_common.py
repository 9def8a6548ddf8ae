"""What every provider recorder shares: the span name, the base request
attributes, error recording, and small readers of user values.

Provider-specific parts (the provider name, the server, the error's status)
are passed in by ``_openai_common`` and ``_genai_common``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Span, Status, StatusCode

from .. import attributes as A
from .._safe import report_internal_error

DEFAULT_PORTS = {"https": 443, "http": 80}


def span_name(operation: str, model: Any) -> str:
    """``{operation} {model}``, or the operation alone when the model is unknown."""
    return f"{operation} {model}" if isinstance(model, str) and model else operation


def server_attributes(host: Any, port: Any, scheme: Any) -> dict[str, Any]:
    """``server.address`` / ``server.port`` (the scheme's default port when none)."""
    if not isinstance(host, str) or not host:
        return {}
    out: dict[str, Any] = {A.SERVER_ADDRESS: host}
    port = port or DEFAULT_PORTS.get(scheme if isinstance(scheme, str) else "")
    if port:
        out[A.SERVER_PORT] = int(port)
    return out


def base_attributes(
    operation: str, provider: str, model: Any, server: dict[str, Any]
) -> dict[str, Any]:
    """Operation, provider, model and server: what samplers and metrics need."""
    attributes: dict[str, Any] = {
        A.GEN_AI_OPERATION_NAME: operation,
        A.GEN_AI_PROVIDER_NAME: provider,
    }
    if isinstance(model, str) and model:
        attributes[A.GEN_AI_REQUEST_MODEL] = model
    attributes.update(server)
    return attributes


def error_type(error: BaseException, status: Any) -> str:
    """The API's status (``"429"``) when there is one, else the error's class name."""
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status)
    return type(error).__qualname__


def record_error(span: Span, error_type: str, error: BaseException) -> None:
    """``error.type``, the exception event and the ERROR status, on ``span``."""
    span.set_attribute(A.ERROR_TYPE, error_type)
    span.record_exception(error)
    span.set_status(Status(StatusCode.ERROR, str(error)))


def end_span(span: Span, end_ns: int | None = None) -> None:
    """End ``span``; a span processor that raises never reaches the user."""
    try:
        span.end(end_time=end_ns)
    except Exception:
        report_internal_error("ending a provider span")


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
