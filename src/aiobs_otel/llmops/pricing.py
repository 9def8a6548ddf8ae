"""``from aiobs_otel.llmops.pricing import calculate_cost`` (llmops's module path)."""

from ..cost import calculate_cost

__all__ = ["calculate_cost"]
