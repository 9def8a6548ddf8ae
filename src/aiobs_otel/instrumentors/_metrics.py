"""The GenAI client metrics, with the semantic conventions' bucket boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.metrics import Histogram, Meter

from .. import attributes as A

DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
TOKEN_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


def _histogram(meter: Meter, name: str, unit: str, description: str, buckets: Any) -> Histogram:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description,
            explicit_bucket_boundaries_advisory=list(buckets),
        )  # fmt: skip
    except TypeError:  # opentelemetry-api older than 1.23 has no bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


class GenAIMetrics:
    """``gen_ai.client.operation.duration`` (s) and ``gen_ai.client.token.usage``."""

    def __init__(self, meter: Meter) -> None:
        self.duration = _histogram(
            meter, A.METRIC_OPERATION_DURATION, "s",
            "GenAI operation duration", DURATION_BUCKETS,
        )  # fmt: skip
        self.tokens = _histogram(
            meter, A.METRIC_TOKEN_USAGE, "{token}",
            "Measures number of input and output tokens used", TOKEN_BUCKETS,
        )  # fmt: skip

    def record(
        self,
        seconds: float,
        attributes: Mapping[str, Any],
        input_tokens: int | None,
        output_tokens: int | None,
    ) -> None:
        self.duration.record(seconds, attributes)
        if input_tokens is not None:
            self.tokens.record(input_tokens, {**attributes, A.GEN_AI_TOKEN_TYPE: "input"})
        if output_tokens is not None:
            self.tokens.record(output_tokens, {**attributes, A.GEN_AI_TOKEN_TYPE: "output"})
