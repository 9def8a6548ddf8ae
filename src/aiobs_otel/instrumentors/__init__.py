"""One ``BaseInstrumentor`` per provider API, one subpackage per SDK.

    from aiobs_otel.instrumentors import OpenAIChatInstrumentor

    OpenAIChatInstrumentor().instrument()

``observer.observe()`` switches on every installed one by itself. Importing
this package imports no SDK; each class is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_CLASSES = {
    "OpenAIChatInstrumentor": ".openai.chat",
    "OpenAIEmbeddingsInstrumentor": ".openai.embeddings",
    "OpenAIResponsesInstrumentor": ".openai.responses",
    "GenAIGenerateContentInstrumentor": ".google_genai.content",
    "GenAIGenerateVideosInstrumentor": ".google_genai.videos",
    "GenAIEmbedContentInstrumentor": ".google_genai.embed_content",
}

__all__ = sorted(_CLASSES)


def __getattr__(name: str) -> Any:
    module = _CLASSES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
