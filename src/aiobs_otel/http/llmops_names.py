"""llmops-observability's names for outbound HTTP and ASGI tracing, mapped onto
ours, so its examples run with only the import changed.

=========================================  ==========================================
llmops                                     here
=========================================  ==========================================
``enable_outbound_http_instrumentation``   ``instrument_http``
``disable_outbound_http_instrumentation``  ``uninstrument_http``
``outbound_instrumentation_status``        ``http_instrumentation_status``
``enable_requests_instrumentation``        ``instrument_http(httpx=False, urllib=False)``
``enable_httpx_instrumentation``           ``instrument_http(requests=False, urllib=False)``
``enable_urllib_instrumentation``          ``instrument_http(requests=False, httpx=False)``
``LLMOpsASGIMiddleware``                   ``ASGITracingMiddleware``
=========================================  ==========================================

One difference: the httpx instrumentation traces ``Client`` and
``AsyncClient`` together, so ``httpx_sync`` / ``httpx_async`` (``sync`` /
``async_client``) switch httpx on when either is true.
"""

from __future__ import annotations

from typing import Any

from .asgi import ASGITracingMiddleware, OnRequest
from .clients import ClientStatus, http_instrumentation_status, instrument_http, uninstrument_http


def enable_outbound_http_instrumentation(
    requests_lib: bool = True,
    httpx_lib: bool = True,
    urllib_lib: bool = True,
    httpx_sync: bool = True,
    httpx_async: bool = True,
) -> dict[str, ClientStatus]:
    return instrument_http(
        requests=requests_lib, httpx=httpx_lib and (httpx_sync or httpx_async), urllib=urllib_lib
    )


def disable_outbound_http_instrumentation() -> None:
    uninstrument_http()


def outbound_instrumentation_status() -> dict[str, ClientStatus]:
    return http_instrumentation_status()


def enable_requests_instrumentation() -> dict[str, ClientStatus]:
    return instrument_http(requests=True, httpx=False, urllib=False)


def enable_httpx_instrumentation(
    sync: bool = True, async_client: bool = True
) -> dict[str, ClientStatus]:
    return instrument_http(requests=False, httpx=sync or async_client, urllib=False)


def enable_urllib_instrumentation() -> dict[str, ClientStatus]:
    return instrument_http(requests=False, httpx=False, urllib=True)


class LLMOpsASGIMiddleware(ASGITracingMiddleware):
    """``app.add_middleware(LLMOpsASGIMiddleware, service_name="my_api")``."""

    def __init__(
        self,
        app: Any,
        service_name: str | None = None,
        *,
        on_request: OnRequest | None = None,
        excluded_urls: str | None = None,
        tracer_provider: Any = None,
    ) -> None:
        super().__init__(
            app,
            on_request=on_request,
            service_name=service_name,
            excluded_urls=excluded_urls,
            tracer_provider=tracer_provider,
        )
