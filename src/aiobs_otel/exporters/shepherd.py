"""Client of aiobs's hosted services: shepherd (API key and usage) and the flush server.

Only used when an API key is given (``observe(api_key=)`` or ``AIOBS_API_KEY``);
without one nothing leaves the machine. Protocol (see docs/ARCHITECTURE.md, "Shepherd"):

- ``GET {shepherd}/v1/usage`` on ``observe()``: checks the key;
- ``POST {flush}/v1/traces`` on ``flush()``: the whole export as JSON;
- ``POST {shepherd}/v1/usage`` ``{"trace_count": N}`` after a successful upload,
  when the export holds events.

Failure rules: a rejected key (401) raises ``ValueError``; everything else
(rate limit, server errors, unreachable or silent servers) is logged as a
warning and never raised, because the user's data is already safe locally.
Each attempt waits at most ``AIOBS_SHEPHERD_TIMEOUT`` seconds per network
operation (connect, send, each read); connection errors and 5xx answers are
retried ``AIOBS_SHEPHERD_RETRIES`` times with exponential backoff and jitter,
a timeout is not retried (a silent server costs one timeout, not several).
Every POST carries an ``Idempotency-Key`` reused by its retries, so a retried
usage record is counted once. The key never appears in logs or messages.
"""

from __future__ import annotations

import logging
from typing import Any

from ._transport import (
    DEFAULT_FLUSH_SERVER_URL,
    DEFAULT_SHEPHERD_URL,
    Reply,
    Settings,
    request_json,
)

__all__ = [
    "DEFAULT_FLUSH_SERVER_URL",
    "DEFAULT_SHEPHERD_URL",
    "Settings",
    "ShepherdClient",
    "ShepherdExporter",
    "validate_key",
]
from .base import BaseExporter, ExportResult, Payload

logger = logging.getLogger("aiobs_otel")


class ShepherdClient:
    """One API key's calls to the shepherd and flush services.

    Usage::

        client = ShepherdClient("aiobs_sk_...")
        client.validate_key()           # ValueError if rejected
        if client.upload(document):     # the ObservabilityExport as a dict
            client.record_usage(12)
    """

    def __init__(self, api_key: str, settings: Settings | None = None) -> None:
        if not api_key:
            raise ValueError("an API key is required")
        self._api_key = api_key
        self.settings = settings or Settings.from_env()

    def __repr__(self) -> str:  # never show the key
        return f"ShepherdClient(shepherd_url={self.settings.shepherd_url!r})"

    def validate_key(self) -> dict[str, Any] | None:
        """Check the key; return the usage summary, or None when unknown.

        Raises ``ValueError`` when the service rejects the key (401).
        """
        url = f"{self.settings.shepherd_url}/v1/usage"
        reply = self._request("GET", url)
        _raise_if_rejected(reply, "")
        if not reply.ok:
            logger.warning(
                "aiobs-otel: could not check the API key with %s (%s); recording goes on, "
                "the key is used again at flush",
                url,
                reply.describe(),
            )
            return None
        usage = _usage(reply.body)
        if usage.get("is_rate_limited"):
            logger.warning(
                "aiobs-otel: the aiobs usage limit is reached (tier=%s, used %s of %s traces); "
                "this run is still recorded locally, but the service may refuse to count it",
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
        else:
            logger.debug(
                "aiobs-otel: API key accepted (tier=%s, used %s of %s traces)",
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
        return usage

    def upload(self, document: dict[str, Any] | bytes) -> bool:
        """Send the export (a dict, or its JSON bytes) to the flush server;
        True when it was accepted.

        Raises ``ValueError`` when the key is rejected (401).
        """
        url = f"{self.settings.flush_url}/v1/traces"
        reply = self._request("POST", url, document)
        _raise_if_rejected(
            reply,
            " during flush(); the export was still written locally (or given to your "
            "exporter) but it was not uploaded and usage was not recorded",
        )
        if not reply.ok:
            logger.warning(
                "aiobs-otel: the export was not uploaded to %s (%s after %d attempt(s)); "
                "the local file or exporter result is unaffected; usage was not recorded",
                url,
                reply.describe(),
                reply.attempts,
            )
            return False
        logger.debug("aiobs-otel: export uploaded (%s)", reply.body.get("message", "ok"))
        return True

    def record_usage(self, trace_count: int) -> bool:
        """Count ``trace_count`` traces against the key; True when recorded.

        Raises ``ValueError`` when the key is rejected (401); a rate limit (429)
        is logged with the tier and the limits.
        """
        url = f"{self.settings.shepherd_url}/v1/usage"
        reply = self._request("POST", url, {"trace_count": trace_count})
        _raise_if_rejected(
            reply, " while recording usage; the export was written and uploaded, not counted"
        )
        if reply.status == 429:
            usage = _usage(reply.body)
            logger.warning(
                "aiobs-otel: usage not recorded: rate limited by the aiobs service (%s; "
                "tier=%s, used %s of %s traces); the export itself is saved",
                reply.body.get("error", "rate limit exceeded"),
                usage.get("tier", "unknown"),
                usage.get("traces_used", "?"),
                usage.get("traces_limit", "?"),
            )
            return False
        if not reply.ok:
            logger.warning(
                "aiobs-otel: could not record usage of %d traces at %s (%s after %d attempt(s))",
                trace_count,
                url,
                reply.describe(),
                reply.attempts,
            )
            return False
        logger.debug(
            "aiobs-otel: usage recorded: %d traces, %s remaining",
            trace_count,
            _usage(reply.body).get("traces_remaining", "unknown"),
        )
        return True

    def _request(self, method: str, url: str, payload: Any = None) -> Reply:
        return request_json(self.settings, method, url, bearer=self._api_key, payload=payload)


class ShepherdExporter(BaseExporter):
    """The last sink of a flush when an API key is set: upload the export,
    then count its traces (only for an accepted upload, so a failed upload is
    never billed). Raises ``ValueError`` when the key is rejected."""

    name = "shepherd"

    def __init__(self, api_key: str) -> None:
        self._client = ShepherdClient(api_key)

    def export_payload(self, payload: Payload, **kwargs: Any) -> ExportResult:
        # The file's bytes when flush() wrote one: the document is not built twice.
        if not self._client.upload(payload.compact_bytes()):
            return ExportResult(success=False, error="upload failed (logged)")
        trace_count = payload.event_count
        if trace_count > 0:
            self._client.record_usage(trace_count)
        return ExportResult(success=True, destination=self._client.settings.flush_url)

    def export(self, data: Any, **kwargs: Any) -> ExportResult:
        return self.export_payload(Payload(data.model_dump()), **kwargs)


def validate_key(api_key: str) -> None:
    """``observe()``: check the key; ``ValueError`` if rejected, else at most a warning."""
    ShepherdClient(api_key).validate_key()


def _raise_if_rejected(reply: Reply, context: str) -> None:
    if reply.status == 401:
        raise ValueError(
            f"Invalid API key provided to aiobs: the service rejected it (HTTP 401){context}. "
            "Check observe(api_key=...) or AIOBS_API_KEY."
        )


def _usage(body: dict[str, Any]) -> dict[str, Any]:
    usage = body.get("usage")
    return usage if isinstance(usage, dict) else {}
