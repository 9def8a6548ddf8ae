"""The SQS streaming settings, read from llmops-observability's variables and ours.

A bad value never stops the application: it is logged (naming the variable,
the value and the allowed range) and the default is used instead.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

logger = logging.getLogger("aiobs_otel")

DEFAULT_REGION = "us-east-1"  # llmops-observability's default
SQS_BATCH_LIMIT = 10  # SendMessageBatch takes at most ten entries
SQS_MAX_MESSAGE_BYTES = 1_048_576  # the largest message SQS accepts (1 MiB)
SQS_CLASSIC_BATCH_BYTES = 262_144  # what every queue accepts in one batch (256 KiB)

# "sqs.<region>.amazonaws.com" (and .com.cn), or the legacy "<region>.queue.amazonaws.com".
_AWS_HOST = re.compile(
    r"^(?:sqs\.(?P<region>[a-z0-9-]+)|(?P<legacy>[a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?$"
)

_N = TypeVar("_N", int, float)


@dataclass(frozen=True)
class SQSConfig:
    """Where and how traces are streamed; ``SQSConfig.from_env()`` reads the
    environment (see the README's "Streaming to Amazon SQS" for every variable)."""

    queue_url: str
    region: str = DEFAULT_REGION
    profile: str | None = None
    endpoint_url: str | None = None
    batch_size: int = 10
    batch_timeout: float = 0.2
    workers: int = 4
    retry_attempts: int = 3
    retry_delay: float = 0.1
    retry_backoff_multiplier: float = 2.0
    retry_max_delay: float = 0.5
    immediate_max_block_ms: int = 250
    shutdown_timeout: float = 5.0
    max_message_bytes: int = 262_144
    spill_dir: Path | None = None  # None: the default under the user's cache directory
    spill_max_bytes: int = 64 * 1024 * 1024
    trace_grace_ms: int = 500
    open_trace_timeout: float = 300.0
    max_buffered_spans: int = 100_000

    @property
    def fifo(self) -> bool:
        """FIFO queue names end in ``.fifo`` (SQS requires it)."""
        return self.queue_url.rstrip("/").endswith(".fifo")

    @property
    def batch_max_bytes(self) -> int:
        """What one SendMessageBatch may carry in total: SQS's batch limit equals its
        message limit, so a cap raised to 1 MiB means a queue that takes 1 MiB batches."""
        return max(self.max_message_bytes, SQS_CLASSIC_BATCH_BYTES)

    def resolved_spill_dir(self) -> Path:
        """The directory of this queue's spill files (one subdirectory per queue, so a
        spill is only ever replayed to the queue it was meant for)."""
        import hashlib

        base = self.spill_dir or default_spill_base()
        digest = hashlib.sha256(self.queue_url.encode("utf-8")).hexdigest()[:16]
        return base / digest

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SQSConfig | None:
        """The settings from the environment; None when ``AWS_SQS_URL`` is unset."""
        env = os.environ if environ is None else environ
        url = env.get("AWS_SQS_URL", "").strip()
        if not url:
            return None
        read = _Reader(env)
        return cls(
            queue_url=url,
            region=queue_region(url, env),
            profile=env.get("AWS_PROFILE") or None,
            endpoint_url=endpoint_for(url, env),
            batch_size=read.number("LLMOPS_SQS_BATCH_SIZE", int, 10, 1, SQS_BATCH_LIMIT),
            batch_timeout=read.number("LLMOPS_SQS_BATCH_TIMEOUT", float, 0.2, 0.0, 60.0),
            workers=read.number("LLMOPS_SQS_WORKER_COUNT", int, 4, 1, 64),
            retry_attempts=read.number("LLMOPS_SQS_RETRY_ATTEMPTS", int, 3, 1, 20),
            retry_delay=read.number("LLMOPS_SQS_RETRY_DELAY", float, 0.1, 0.0, 60.0),
            retry_backoff_multiplier=read.number(
                "LLMOPS_SQS_RETRY_BACKOFF_MULTIPLIER", float, 2.0, 1.0, 10.0
            ),
            retry_max_delay=read.number("LLMOPS_SQS_RETRY_MAX_DELAY", float, 0.5, 0.0, 300.0),
            immediate_max_block_ms=read.number(
                "LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS", int, 250, 0, 10_000
            ),
            shutdown_timeout=read.number("LLMOPS_SQS_SHUTDOWN_TIMEOUT", float, 5.0, 0.0, 600.0),
            max_message_bytes=read.number(
                "AIOBS_SQS_MAX_MESSAGE_BYTES", int, 262_144, 4096, SQS_MAX_MESSAGE_BYTES
            ),
            spill_dir=Path(env["AIOBS_SQS_SPILL_DIR"]).expanduser()
            if env.get("AIOBS_SQS_SPILL_DIR")
            else None,
            spill_max_bytes=read.number(
                "AIOBS_SQS_SPILL_MAX_BYTES", int, 64 * 1024 * 1024, 0, 1 << 40
            ),
            trace_grace_ms=read.number("AIOBS_SQS_TRACE_GRACE_MS", int, 500, 0, 600_000),
            open_trace_timeout=read.number(
                "AIOBS_SQS_OPEN_TRACE_TIMEOUT", float, 300.0, 1.0, 86_400.0
            ),
            max_buffered_spans=read.number(
                "AIOBS_SQS_MAX_BUFFERED_SPANS", int, 100_000, 100, 10_000_000
            ),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def number(self, name: str, kind: Callable[[str], _N], default: _N, low: _N, high: _N) -> _N:
        raw = self._env.get(name, "").strip()
        if not raw:
            return default
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value != value or not low <= value <= high:  # value != value: NaN
            logger.warning(
                "aiobs-otel: %s=%r is not a %s from %s to %s; using %s",
                name,
                raw,
                "whole number" if kind is int else "number",
                low,
                high,
                default,
            )
            return default
        return value


def queue_region(url: str, env: Mapping[str, str]) -> str:
    """The queue's own region when its URL is an AWS one (requests must be signed
    for it), else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else us-east-1."""
    configured = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    match = _AWS_HOST.match(urlsplit(url).hostname or "")
    if match:
        region = match.group("region") or match.group("legacy")
        if configured and configured != region:
            logger.info(
                "aiobs-otel: the queue %s is in %s; using that region, not AWS_REGION=%s",
                url,
                region,
                configured,
            )
        return region
    return configured or DEFAULT_REGION


def endpoint_for(url: str, env: Mapping[str, str]) -> str | None:
    """boto3's own variables first (``AWS_ENDPOINT_URL_SQS``, ``AWS_ENDPOINT_URL``);
    else, for a queue URL that is not on amazonaws.com (moto, LocalStack, ElasticMQ),
    that URL's scheme and host; else None (boto3 picks the AWS endpoint)."""
    explicit = env.get("AWS_ENDPOINT_URL_SQS") or env.get("AWS_ENDPOINT_URL")
    if explicit:
        return explicit.strip()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme in ("http", "https") and host and not _is_aws_host(host):
        return f"{parts.scheme}://{parts.netloc}"
    return None


def _is_aws_host(host: str) -> bool:
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def default_spill_base() -> Path:
    """``$XDG_CACHE_HOME/aiobs-otel/sqs-spill`` (``~/.cache`` when unset), or the
    temporary directory when there is no writable home (some containers, Lambda)."""
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory at all
        cache = Path("/nonexistent")
    probe = cache if cache.exists() else cache.parent
    if os.access(probe, os.W_OK):
        return cache / "aiobs-otel" / "sqs-spill"
    return Path(tempfile.gettempdir()) / "aiobs-otel-sqs-spill"
