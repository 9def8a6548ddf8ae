"""Lookups in genai-prices' packaged price table (never the network).

genai-prices ships its table in the package (``genai_prices.data``); it fetches
a newer one only when the user starts its ``UpdatePrices`` background task, an
opt-in we leave to the user. A lookup here matches our provider name
(``gen_ai.provider.name``) to the table's provider id, then the model reference
with the table's own matching rules (dated versions, ``models/`` prefixes,
Bedrock's regional ids).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, ModelPrice

# gen_ai.provider.name (GenAI conventions) -> genai-prices provider id.
_PROVIDER_IDS = {
    "openai": "openai",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "aws.bedrock": "aws",
    "anthropic": "anthropic",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "deepseek": "deepseek",
    "groq": "groq",
    "cohere": "cohere",
    "perplexity": "perplexity",
}
# A Bedrock model id ("anthropic.claude-3-sonnet-20240229-v1:0", with an optional
# cross-region prefix "us." / "eu." / "apac." / "global."), as llmops uses them.
_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|jp|au|ca|global|us-gov)\.)?"
    r"(?:anthropic|amazon|meta|cohere|ai21|mistral|deepseek|openai|qwen|writer|twelvelabs)\."
)


def table_provider_id(provider: str | None, model: str) -> str | None:
    """The genai-prices provider id to look ``model`` up in; ``None``: let the
    table guess from the model name."""
    if provider:
        known = _PROVIDER_IDS.get(provider.lower())
        if known is not None:
            return known
        return provider.lower()  # the table's own provider matching gets a try
    if _BEDROCK_ID.match(model.lower()):
        return "aws"
    return None


def snapshot() -> DataSnapshot:
    """The table in use: the packaged one, or one the user's UpdatePrices fetched."""
    from genai_prices.data_snapshot import get_snapshot

    return get_snapshot()


def find_model(table: DataSnapshot, provider_id: str | None, model: str) -> tuple[str, Any] | None:
    """``(table provider id, ModelInfo)`` for ``model``, or ``None`` when the table
    does not know it (never raises for an unknown name)."""
    try:
        provider, info = table.find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None
    return provider.id, info


def prices_now(info: ModelInfo) -> ModelPrice:
    """The model's prices for a request made now (the table dates price changes)."""
    from datetime import datetime, timezone

    return info.get_prices(datetime.now(tz=timezone.utc))
