"""Gemini ``generate_content`` / ``generate_content_stream`` (google-genai), sync and async.

Usage::

    from aiobs_otel.instrumentors.genai_content import GenAIGenerateContentInstrumentor

    GenAIGenerateContentInstrumentor().instrument()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from .._safe import dumps
from . import _genai_common as g
from ._base import ProviderInstrumentor, Target
from ._lifecycle import ApiRecorder, ProviderCall

OPERATION = "generate_content"
_MODULE = "google.genai.models"

# config field -> request attribute
_CONFIG_ATTRIBUTES = {
    "temperature": A.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": A.GEN_AI_REQUEST_TOP_P,
    "top_k": A.GEN_AI_REQUEST_TOP_K,
    "max_output_tokens": A.GEN_AI_REQUEST_MAX_TOKENS,
    "seed": A.GEN_AI_REQUEST_SEED,
    "candidate_count": A.GEN_AI_REQUEST_CHOICE_COUNT,
    "presence_penalty": A.GEN_AI_REQUEST_PRESENCE_PENALTY,
    "frequency_penalty": A.GEN_AI_REQUEST_FREQUENCY_PENALTY,
}


class GenerateContentRecorder:
    """Request, response and stream chunks of ``generate_content[_stream]``."""

    def request(
        self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], content: bool
    ) -> tuple[str, dict[str, Any]]:
        model = kwargs.get("model")
        attributes = g.base_attributes(instance, OPERATION, model)
        config = kwargs.get("config")
        for name, key in _CONFIG_ATTRIBUTES.items():
            value = g.field(config, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attributes[key] = value
        stops = g.field(config, "stop_sequences")
        if stops:
            attributes[A.GEN_AI_REQUEST_STOP_SEQUENCES] = [str(s) for s in stops]
        if content:
            attributes[A.GEN_AI_INPUT_MESSAGES] = dumps(g.input_messages(kwargs.get("contents")))
            system = g.system_parts(g.field(config, "system_instruction"))
            if system:
                attributes[A.GEN_AI_SYSTEM_INSTRUCTIONS] = dumps(system)
            tools = g.tool_definitions(g.field(config, "tools"))
            if tools:
                attributes[A.GEN_AI_TOOL_DEFINITIONS] = dumps(tools)
        return f"{OPERATION} {model}", attributes

    def stream(self, result: Any, kwargs: Mapping[str, Any]) -> ContentChunks | None:
        # Streams are generators (sync) or async generators; responses are models.
        if hasattr(result, "__next__") or hasattr(result, "__anext__"):
            return ContentChunks()
        return None

    def response(self, call: ProviderCall, result: Any, content: bool) -> None:
        _record(call, [result], content)

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


class ContentChunks:
    """A stream's chunks: text, finish reasons and usage assembled at the end."""

    def __init__(self) -> None:
        self.chunks: list[Any] = []

    def add(self, chunk: Any) -> None:
        self.chunks.append(chunk)

    def record(self, call: ProviderCall) -> None:
        call.set({A.GEN_AI_REQUEST_STREAM: True})
        if self.chunks:
            _record(call, self.chunks, call.content)


def _record(call: ProviderCall, responses: list[Any], content: bool) -> None:
    """One response, or a stream's chunks (later values win; parts concatenate)."""
    last = responses[-1]
    usage = next((u for r in reversed(responses) if (u := g.field(r, "usage_metadata"))), None)
    response_id = next((i for r in responses if (i := g.field(r, "response_id"))), None)
    model = next((m for r in responses if (m := g.field(r, "model_version"))), None)
    call.set_response_model(model)
    call.set({A.GEN_AI_RESPONSE_ID: response_id})
    if usage is not None:
        call.set_usage(
            g.field(usage, "prompt_token_count"), g.field(usage, "candidates_token_count")
        )
        call.set({
            A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: g.field(usage, "cached_content_token_count"),
            A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: g.field(usage, "thoughts_token_count"),
        })  # fmt: skip
    messages = _merged_outputs(responses) if len(responses) > 1 else g.output_messages(last)
    reasons = [m["finish_reason"] for m in messages if m.get("finish_reason")]
    if reasons:
        call.set({A.GEN_AI_RESPONSE_FINISH_REASONS: reasons})
    if content and messages:
        call.set({A.GEN_AI_OUTPUT_MESSAGES: dumps(messages)})


def _merged_outputs(chunks: list[Any]) -> list[dict[str, Any]]:
    """Per candidate index: parts of every chunk, adjacent text parts joined."""
    merged: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for position, candidate in enumerate(g.field(chunk, "candidates") or []):
            index = g.field(candidate, "index")
            key = index if isinstance(index, int) else position
            single = g.output_messages({"candidates": [candidate]})[0]
            message = merged.setdefault(key, {"role": single["role"], "parts": [],
                                              "finish_reason": ""})  # fmt: skip
            for item in single["parts"]:
                previous = message["parts"][-1] if message["parts"] else None
                if previous and previous["type"] == item["type"] and item["type"] in (
                    "text", "reasoning",
                ):  # fmt: skip
                    previous["content"] += item["content"]
                else:
                    message["parts"].append(item)
            if single["finish_reason"]:
                message["finish_reason"] = single["finish_reason"]
    return [merged[k] for k in sorted(merged)]


class GenAIGenerateContentInstrumentor(ProviderInstrumentor):
    """Traces ``Models`` / ``AsyncModels`` ``.generate_content`` and
    ``.generate_content_stream`` of google-genai (Developer API and Vertex AI)."""

    scope = "aiobs_otel.genai"
    instruments = ("google-genai >= 1.3.0, < 4",)
    targets = (
        Target(_MODULE, "Models.generate_content"),
        Target(_MODULE, "Models.generate_content_stream"),
        Target(_MODULE, "AsyncModels.generate_content", is_async=True),
        Target(_MODULE, "AsyncModels.generate_content_stream", is_async=True),
    )

    def recorder(self) -> ApiRecorder:
        return GenerateContentRecorder()
