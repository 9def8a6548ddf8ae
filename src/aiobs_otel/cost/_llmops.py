"""llmops-observability's ``calculate_cost(model_id, input_tokens, output_tokens)``.

llmops priced AWS Bedrock model ids from its own table; here the same ids are
looked up in genai-prices' Bedrock prices (and then anywhere in the table, so
``"gpt-4o-mini"`` works too). Overrides apply. As llmops's callers sum and
format the result, an unknown model costs ``0.0`` rather than ``None``.
"""

from __future__ import annotations

import logging

from ._pricing import price_call

logger = logging.getLogger("aiobs_otel.cost")


def calculate_cost(model_id: str, input_tokens: int, output_tokens: int) -> float:
    """The cost in USD of ``input_tokens`` and ``output_tokens`` on ``model_id``
    (a Bedrock id such as ``anthropic.claude-3-sonnet-20240229-v1:0``); ``0.0``
    for a model no price table knows."""
    for provider in ("aws.bedrock", None):
        cost = price_call(
            provider=provider,
            model=model_id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
        if cost is not None:
            return cost.total
    logger.warning("aiobs-otel: calculate_cost: no price for model %r, counting 0.0", model_id)
    return 0.0
