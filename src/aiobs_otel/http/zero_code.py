"""Our hooks under ``opentelemetry-instrument``.

The contrib instrumentors load from their own entry points. The aiobs distro's
``load_instrumentor`` (the hook OpenTelemetry gives distros for exactly this)
asks ``instrumentor_kwargs(name)`` for the extra arguments of each one and
passes them to its ``instrument()``: our request / response hooks for
``requests``, ``httpx`` and ``urllib``, and our server hook and header
sanitizer for ``fastapi``. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` keeps
working as usual. ``AIOBS_HTTP_BODY_PREVIEW_CHARS=N`` switches the body preview on.

The ``opentelemetry_post_instrument`` entry point ``aiobs_http`` attaches our
span processor whichever distro ran, so URLs and errors of HTTP spans are
redacted even when the instrumentors were loaded without our hooks.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from . import _hooks
from ._guard import report_error
from .asgi import EXCLUDED_INTERNAL_SPANS
from .clients import CLIENTS, mark_hooks_applied, sensitive_header_patterns
from .processor import attach_processor

logger = logging.getLogger("aiobs_otel")
BODY_PREVIEW_ENV = "AIOBS_HTTP_BODY_PREVIEW_CHARS"


def _body_preview_from_env() -> None:
    raw = os.environ.get(BODY_PREVIEW_ENV, "").strip()
    if not raw:
        return
    try:
        chars = int(raw)
        if chars < 0:
            raise ValueError
    except ValueError:
        logger.warning(
            "aiobs-otel: %s=%r is not a number >= 0; no body preview", BODY_PREVIEW_ENV, raw
        )
        return
    _hooks.SETTINGS.body_preview_chars = chars


def instrumentor_kwargs(entry_point_name: str) -> dict[str, Any]:
    """Extra ``instrument()`` arguments for a contrib instrumentor's entry point
    (``{}`` for every other one)."""
    if entry_point_name in CLIENTS:
        kwargs = _hooks.client_hook_kwargs(entry_point_name)
        if entry_point_name == "urllib":
            kwargs["sensitive_headers"] = sensitive_header_patterns()
        mark_hooks_applied(entry_point_name)
    elif entry_point_name == "fastapi":
        kwargs = {
            "server_request_hook": _hooks.asgi_server_request_hook,
            "http_capture_headers_sanitize_fields": sensitive_header_patterns(),
            "exclude_spans": list(EXCLUDED_INTERNAL_SPANS),
        }
    else:
        return {}
    _body_preview_from_env()
    attach_processor()
    return kwargs


def post_instrument() -> None:
    """``opentelemetry_post_instrument`` entry point ``aiobs_http``."""
    try:
        attach_processor()
    except Exception:
        report_error("attaching the HTTP span processor")
