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
from ._common import listed, span_name
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

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        model = kwargs.get("model")
        attributes = g.base_attributes(instance, OPERATION, model)
        config = kwargs.get("config")
        for name, key in _CONFIG_ATTRIBUTES.items():
            value = g.field(config, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attributes[key] = value
        stops = listed(g.field(config, "stop_sequences"))
        if stops:
            attributes[A.GEN_AI_REQUEST_STOP_SEQUENCES] = [str(s) for s in stops]
        return span_name(OPERATION, model), attributes

    def content(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        config = kwargs.get("config")
        out = {A.GEN_AI_INPUT_MESSAGES: dumps(g.input_messages(kwargs.get("contents")))}
        system = g.system_parts(g.field(config, "system_instruction"))
        if system:
            out[A.GEN_AI_SYSTEM_INSTRUCTIONS] = dumps(system)
        tools = g.tool_definitions(g.field(config, "tools"))
        if tools:
            out[A.GEN_AI_TOOL_DEFINITIONS] = dumps(tools)
        return out

    def stream(self, result: Any, content: bool) -> ContentChunks | None:
        # Streams are generators (sync) or async generators; responses are models.
        if hasattr(result, "__next__") or hasattr(result, "__anext__"):
            return ContentChunks(content)
        return None

    def response(self, call: ProviderCall, result: Any) -> None:
        usage = g.field(result, "usage_metadata")
        model = g.field(result, "model_version")
        reasons = [r for c in g.field(result, "candidates") or () if (r := g.finish_reason(c))]
        outputs = g.output_messages(result) if call.content else []
        attributes = _summary(call, usage, g.field(result, "response_id"), model)
        call.set(_with_outputs(call, attributes, reasons, outputs))

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


class ContentChunks:
    """Folds a stream's chunks as they arrive: the first id and model, the
    last usage, finish reasons per candidate and, with ``content``, the
    candidates' parts (adjacent text joined)."""

    def __init__(self, content: bool = True) -> None:
        self.content = content
        self.count = 0
        self.first: Any = None  # a lone chunk is recorded like a response
        self.usage: Any = None
        self.response_id: Any = None
        self.model: Any = None
        self.reasons: dict[int, str] = {}
        self.merged: dict[int, dict[str, Any]] = {}

    def add(self, chunk: Any) -> None:
        self.count += 1
        self.usage = g.field(chunk, "usage_metadata") or self.usage
        self.response_id = self.response_id or g.field(chunk, "response_id")
        self.model = self.model or g.field(chunk, "model_version")
        if not self.content:
            for position, candidate in enumerate(g.field(chunk, "candidates") or ()):
                reason = g.finish_reason(candidate)
                if reason:
                    self.reasons[_candidate_key(candidate, position)] = reason
        elif self.count == 1:
            self.first = chunk
        else:
            if self.first is not None:
                _merge(self.merged, self.first)
                self.first = None
            _merge(self.merged, chunk)

    def record(self, call: ProviderCall) -> None:
        if not self.count:
            call.set({A.GEN_AI_REQUEST_STREAM: True})
            return
        attributes = _summary(call, self.usage, self.response_id, self.model)
        attributes[A.GEN_AI_REQUEST_STREAM] = True
        if not self.content:
            reasons = [self.reasons[k] for k in sorted(self.reasons)]
            call.set(_with_outputs(call, attributes, reasons, []))
            return
        if self.first is not None:
            messages = g.output_messages(self.first)
        else:
            messages = [self.merged[k] for k in sorted(self.merged)]
        reasons = [m["finish_reason"] for m in messages if m.get("finish_reason")]
        call.set(_with_outputs(call, attributes, reasons, messages))


def _summary(call: ProviderCall, usage: Any, response_id: Any, model: Any) -> dict[str, Any]:
    """Response id, model and usage attributes; the call keeps model and tokens for metrics."""
    if isinstance(model, str) and model:
        call.response_model = model
    out: dict[str, Any] = {A.GEN_AI_RESPONSE_ID: response_id,
                           A.GEN_AI_RESPONSE_MODEL: call.response_model}  # fmt: skip
    if usage is not None:
        call.input_tokens = g.field(usage, "prompt_token_count")
        call.output_tokens = g.field(usage, "candidates_token_count")
        out.update({
            A.GEN_AI_USAGE_INPUT_TOKENS: call.input_tokens,
            A.GEN_AI_USAGE_OUTPUT_TOKENS: call.output_tokens,
            A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: g.field(usage, "cached_content_token_count"),
            A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: g.field(usage, "thoughts_token_count"),
        })  # fmt: skip
    return out


def _with_outputs(call: ProviderCall, attributes: dict[str, Any], reasons: list[str],
                  messages: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = reasons or None
    if call.content and messages:
        attributes[A.GEN_AI_OUTPUT_MESSAGES] = dumps(messages)
    return attributes


def _candidate_key(candidate: Any, position: int) -> int:
    index = g.field(candidate, "index")
    return index if isinstance(index, int) else position


def _merge(merged: dict[int, dict[str, Any]], chunk: Any) -> None:
    """Fold one chunk's candidates into ``merged``: parts appended, adjacent text joined."""
    for position, candidate in enumerate(g.field(chunk, "candidates") or ()):
        single = g.output_messages({"candidates": [candidate]})[0]
        message = merged.setdefault(_candidate_key(candidate, position),
                                    {"role": single["role"], "parts": [],
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
