"""The OTLP/HTTP exporter that sends to Langfuse, and the HTTP session under it.

The exporter is OpenTelemetry's own ``OTLPSpanExporter``; we give it a
``requests`` session of ours because the exporter alone cannot:

* turn certificate verification off for this exporter only (the exporter sets
  its transport's ``verify`` from ``OTEL_EXPORTER_OTLP_CERTIFICATE`` or
  ``True``, whatever session it is given); ``verify_ssl=True`` verifies against
  the system's CAs (or ``REQUESTS_CA_BUNDLE``), never against a certificate the
  ``OTEL_*`` variables name for another backend;
* keep other backends' headers away: the exporter merges
  ``OTEL_EXPORTER_OTLP_HEADERS`` (an API key meant for your Collector or
  Phoenix) into its own. The session sends the OTLP headers the exporter needs
  (content type and encoding) and Langfuse's, nothing else.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ._settings import LangfuseSettings

logger = logging.getLogger("aiobs_otel.langfuse")

# Request headers the OTLP exporter or requests itself sets that Langfuse needs.
_KEPT_HEADERS = frozenset(
    {"content-type", "content-encoding", "content-length", "user-agent", "accept",
     "accept-encoding", "connection"}
)  # fmt: skip


class LangfuseSession(requests.Session):
    """A session whose requests carry Langfuse's headers only and verify (or not)
    as ``verify_ssl`` says, whatever the exporter sets on it."""

    def __init__(self, headers: Mapping[str, str], *, verify: bool) -> None:
        super().__init__()
        self._langfuse_headers = dict(headers)
        self._verify_certificates = verify

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        prepared = super().prepare_request(request)
        kept = {k: v for k, v in prepared.headers.items() if k.lower() in _KEPT_HEADERS}
        prepared.headers.clear()
        prepared.headers.update(kept)
        prepared.headers.update(self._langfuse_headers)
        return prepared

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        # True, not the exporter's certificate: requests then uses the system's
        # CAs, or REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set.
        settings = super().merge_environment_settings(url, proxies, stream, True, cert)
        if not self._verify_certificates:
            settings["verify"] = False
        return settings

    def __repr__(self) -> str:
        return f"LangfuseSession(verify={self._verify_certificates})"


class LangfuseExporter(SpanExporter):
    """``OTLPSpanExporter`` to ``settings.endpoint`` with a ``LangfuseSession``.
    ``export()`` never raises; with ``debug`` each batch's outcome is logged."""

    def __init__(self, settings: LangfuseSettings) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        self.endpoint = settings.endpoint
        self._debug = settings.debug
        session = LangfuseSession(settings.headers(), verify=settings.verify_ssl)
        if not settings.verify_ssl and settings.https:
            _silence_unverified_warning(settings.host)
        self._otlp = OTLPSpanExporter(
            endpoint=settings.endpoint, timeout=settings.timeout, session=session
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._otlp.export(spans)
        except Exception:  # the exporter logs and returns FAILURE; be sure of it
            logger.warning("aiobs-otel: exporting to Langfuse failed", exc_info=True)
            return SpanExportResult.FAILURE
        if self._debug:
            logger.debug("aiobs-otel: %d span(s) to %s: %s", len(spans), self.endpoint,
                         result.name)  # fmt: skip
        return result

    def shutdown(self) -> None:
        self._otlp.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # it holds nothing: the batch processor in front does


def _silence_unverified_warning(host: str) -> None:
    """urllib3 warns on every unverified HTTPS request; verification was turned off
    on purpose (and said once when configured): silence it for this host only."""
    from urllib3.exceptions import InsecureRequestWarning

    warnings.filterwarnings(
        "ignore",
        message=f"Unverified HTTPS request is being made to host '{re.escape(host)}'",
        category=InsecureRequestWarning,
    )
