"""Outbound HTTP, inbound ASGI and traces across services, on the
OpenTelemetry contrib instrumentations (``pip install 'aiobs-otel[http]'``).

Usage::

    from aiobs_otel import observer, observe
    from aiobs_otel.http import instrument_http, instrument_asgi_app

    instrument_http()                      # requests, httpx, urllib: spans, redacted
    app = instrument_asgi_app(FastAPI())   # every request a server span
"""

from .asgi import (
    ASGITracingMiddleware,
    RequestContextMiddleware,
    instrument_asgi_app,
    request_header,
)
from .clients import (
    ClientStatus,
    http_instrumentation_status,
    instrument_http,
    uninstrument_http,
)
from .llmops_names import (
    LLMOpsASGIMiddleware,
    disable_outbound_http_instrumentation,
    enable_httpx_instrumentation,
    enable_outbound_http_instrumentation,
    enable_requests_instrumentation,
    enable_urllib_instrumentation,
    outbound_instrumentation_status,
)
from .propagation import (
    continue_trace,
    get_injected_headers,
    resume_external_service,
    track_external_service,
)
from .redact import REDACTED, is_sensitive_name, redact_headers, redact_text, redact_url

__all__ = [
    "REDACTED",
    "ASGITracingMiddleware",
    "ClientStatus",
    "LLMOpsASGIMiddleware",
    "RequestContextMiddleware",
    "continue_trace",
    "disable_outbound_http_instrumentation",
    "enable_httpx_instrumentation",
    "enable_outbound_http_instrumentation",
    "enable_requests_instrumentation",
    "enable_urllib_instrumentation",
    "get_injected_headers",
    "http_instrumentation_status",
    "instrument_asgi_app",
    "instrument_http",
    "is_sensitive_name",
    "outbound_instrumentation_status",
    "redact_headers",
    "redact_text",
    "redact_url",
    "request_header",
    "resume_external_service",
    "track_external_service",
    "uninstrument_http",
]
