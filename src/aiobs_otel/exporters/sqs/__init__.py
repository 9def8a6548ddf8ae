"""Streaming traces to Amazon SQS in llmops-observability's message format.

One message per trace: the wrapper ``{"compressed": true, "data": <base64 gzip
JSON>, "trace_id", "type": "SDKTraceData", "idempotency_key"}`` around the trace
document (trace fields, ``spans[]``, totals). Batched by background workers,
capped in size, spilled to disk when SQS does not take it, replayed later.

Usage::

    # observe() does this by itself when AWS_SQS_URL is set:
    from aiobs_otel.exporters.sqs import processor_from_env
    processor = processor_from_env()
    if processor is not None:
        tracer_provider.add_span_processor(processor)

    # a consumer
    from aiobs_otel.exporters.sqs import decode_message
    trace = decode_message(message["Body"])

boto3 is the extra ``pip install 'aiobs-otel[sqs]'``; nothing here imports it
until a client is made.
"""

from ._config import SQSConfig
from ._exporter import SQSSpanExporter, streaming_stats
from ._processor import SQSSpanProcessor, processor_from_env
from ._trace import ProcessDefaults
from ._wire import decode_message

__all__ = [
    "ProcessDefaults",
    "SQSConfig",
    "SQSSpanExporter",
    "SQSSpanProcessor",
    "decode_message",
    "processor_from_env",
    "streaming_stats",
]
