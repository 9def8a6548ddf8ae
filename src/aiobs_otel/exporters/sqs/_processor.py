"""The span processor ``observe()`` adds when ``AWS_SQS_URL`` is set."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Mapping

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ._config import SQSConfig
from ._exporter import SQSSpanExporter, streaming_to

logger = logging.getLogger("aiobs_otel")


class SQSSpanProcessor(SpanProcessor):
    """Hands each finished span straight to an ``SQSSpanExporter``: its ``export()``
    is a list append, so no batch processor (and no second queue) is needed in front."""

    def __init__(self, exporter: SQSSpanExporter) -> None:
        self.exporter = exporter

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            self.exporter.export((span,))

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def processor_from_env(environ: Mapping[str, str] | None = None) -> SpanProcessor | None:
    """The processor that streams traces to ``AWS_SQS_URL``; None when the variable is
    unset, when boto3 is missing (logged), or when this process already streams to that
    queue (an ``aiobs_sqs`` exporter configured by ``OTEL_TRACES_EXPORTER``)."""
    config = SQSConfig.from_env(environ)
    if config is None:
        return None
    if importlib.util.find_spec("boto3") is None:
        logger.warning(
            "aiobs-otel: AWS_SQS_URL is set but boto3 is not installed, so traces are not "
            "streamed to SQS: pip install 'aiobs-otel[sqs]'"
        )
        return None
    if streaming_to(config.queue_url):
        logger.debug("aiobs-otel: already streaming to %s", config.queue_url)
        return None
    return SQSSpanProcessor(SQSSpanExporter(config))
