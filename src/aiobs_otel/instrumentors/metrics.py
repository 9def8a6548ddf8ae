"""The GenAI client metrics, with the semantic conventions' bucket boundaries.

``gen_ai.client.operation.duration`` (s), ``gen_ai.client.token.usage``
({token}, by ``gen_ai.token.type``) and, for streams,
``gen_ai.client.operation.time_to_first_chunk`` and
``gen_ai.client.operation.time_per_output_chunk`` (s, one value per chunk
after the first).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.metrics import Histogram, Meter

from .. import attributes as A
from .record import LLMCall
from .semconv import metric_attributes

DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
# The conventions advise the duration buckets for the chunk timings too.
CHUNK_BUCKETS = DURATION_BUCKETS


def _histogram(meter: Meter, name: str, unit: str, description: str, buckets: Any) -> Histogram:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description,
            explicit_bucket_boundaries_advisory=list(buckets),
        )  # fmt: skip
    except TypeError:  # opentelemetry-api older than 1.23 has no bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


class GenAIMetrics:
    """The four GenAI client histograms of one instrumentor."""

    def __init__(self, meter: Meter) -> None:
        self.duration = _histogram(
            meter, A.METRIC_OPERATION_DURATION, "s",
            "GenAI operation duration", DURATION_BUCKETS,
        )  # fmt: skip
        self.tokens = _histogram(
            meter, A.METRIC_TOKEN_USAGE, "{token}",
            "Measures number of input and output tokens used", TOKEN_BUCKETS,
        )  # fmt: skip
        self.first_chunk = _histogram(
            meter, A.METRIC_TIME_TO_FIRST_CHUNK, "s",
            "Time from the request to the first chunk of a streamed response", CHUNK_BUCKETS,
        )  # fmt: skip
        self.per_chunk = _histogram(
            meter, A.METRIC_TIME_PER_OUTPUT_CHUNK, "s",
            "Time between consecutive chunks of a streamed response", CHUNK_BUCKETS,
        )  # fmt: skip

    def record(self, call: LLMCall, seconds: float) -> None:
        attributes, as_input, as_output = _attribute_sets(call)
        self.duration.record(seconds, attributes)
        if call.input_tokens is not None:
            self.tokens.record(call.input_tokens, as_input)
        if call.output_tokens is not None:
            self.tokens.record(call.output_tokens, as_output)
        if call.time_to_first_chunk is not None:
            self.first_chunk.record(call.time_to_first_chunk, attributes)
        for gap in call.chunk_gaps or ():
            self.per_chunk.record(gap, attributes)


AttributeSets = tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]
# A process calls a handful of (model, server) pairs: the three attribute sets
# of each are built once. Bounded, in case model names come from user input.
_SETS: dict[tuple[Any, ...], AttributeSets] = {}
_MAX_SETS = 256


def _attribute_sets(call: LLMCall) -> AttributeSets:
    """The metric attributes, and with ``gen_ai.token.type`` input / output."""
    key = (call.api.operation, call.provider, call.request_model, call.server_address,
           call.server_port, call.response_model, call.error_type)  # fmt: skip
    found = _SETS.get(key)
    if found is None:
        attributes = metric_attributes(call)
        found = (
            attributes,
            {**attributes, A.GEN_AI_TOKEN_TYPE: "input"},
            {**attributes, A.GEN_AI_TOKEN_TYPE: "output"},
        )
        if len(_SETS) >= _MAX_SETS:
            _SETS.clear()
        _SETS[key] = found
    return found
