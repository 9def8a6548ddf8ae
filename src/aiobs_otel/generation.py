"""A ``generation`` span: a model call the user wrapped (llmops's ``@track_llm_call``).

The prompt is read from the call's arguments: a ``messages`` list (OpenAI,
Anthropic, Bedrock ``converse`` forms), else a ``prompt`` (or Gemini
``contents``) argument, else the first string argument. The response, usage,
model and ids are read from the result (``model_responses``). On the span:
``gen_ai.input.messages`` / ``gen_ai.output.messages`` in the conventions'
form (texts cut to ``AIOBS_MAX_PROMPT_BYTES``), the response attributes, and,
unless an LLM span below reported them, ``gen_ai.usage.*`` and the cost. In the
JSON export: ``prompt``, ``response`` (llmops's fields, with the limit's
marker when too long), ``model``, ``usage`` and ``cost``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import attributes as A
from .cost import cost_attributes, cost_event_field, price_call
from .limits import cut_text, limited_text, prompt_limit
from .model_responses import get, is_bedrock_model, read_response
from .observe_options import KindFields, KindOptions, named_arguments

_MAX_MESSAGES = 200


@dataclass(slots=True)
class GenerationInput:
    prompt_text: str | None
    messages: list[tuple[str, str]] | None  # (role, text)

    @classmethod
    def read(
        cls, options: KindOptions, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> GenerationInput:
        named = named_arguments(options, args, kwargs)
        messages = _messages(named.get("messages"))
        if messages is None:
            messages = _messages(named.get("contents"))
        if messages:
            text = "\n\n".join(t for _, t in messages if t)
            return cls(text or None, messages)
        for key in ("prompt", "contents", "input", "query", "question"):
            value = named.get(key)
            if isinstance(value, str):
                return cls(value, [("user", value)])
        for value in named.values():
            if isinstance(value, str):
                return cls(value, [("user", value)])
        return cls(None, None)

    def export_prompt(self) -> Any:
        if self.prompt_text is None:
            return None
        return limited_text(self.prompt_text, prompt_limit())[0]

    def span_attributes(self) -> dict[str, Any]:
        if not self.messages:
            return {}
        budget = prompt_limit()
        out = []
        for role, text in self.messages:
            content = cut_text(text, max(budget, 0)) if budget > 0 else "...[truncated]"
            budget -= len(text.encode("utf-8", "replace"))
            out.append({"role": role, "parts": [{"type": "text", "content": content}]})
        return {A.GEN_AI_INPUT_MESSAGES: _json(out)}


def _messages(value: Any) -> list[tuple[str, str]] | None:
    """``(role, text)`` of each message, or None when ``value`` is no message list."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        return None
    found: list[tuple[str, str]] = []
    for item in value[:_MAX_MESSAGES]:
        role = get(item, "role")
        content = get(item, "content")
        if content is None:
            content = get(item, "parts")
        if not isinstance(role, str) and content is None:
            return None  # not a message list (e.g. a list of documents)
        found.append((role if isinstance(role, str) else "user", _text(content)))
    return found


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        texts = []
        for part in content:
            text = part if isinstance(part, str) else get(part, "text")
            if isinstance(text, str):
                texts.append(text)
        return "".join(texts)
    return ""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def finish_generation(
    generation: GenerationInput,
    result: Any,
    reported_below: bool,
    options: KindOptions,
    attributes: dict[str, Any],
    record: KindFields,
) -> None:
    """The response side of a generation span (see the module doc)."""
    facts = read_response(result)
    model = facts.model or options.model
    provider = "aws.bedrock" if is_bedrock_model(model) else facts.provider
    if provider:
        attributes[A.GEN_AI_PROVIDER_NAME] = provider
    if facts.model:
        attributes[A.GEN_AI_RESPONSE_MODEL] = facts.model
    if facts.response_id:
        attributes[A.GEN_AI_RESPONSE_ID] = facts.response_id
    if facts.finish_reasons:
        attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = facts.finish_reasons
    record.model = model
    if options.content and facts.text is not None:
        limit = prompt_limit()
        record.response = limited_text(facts.text, limit)[0]
        if options.content_on_span:
            message = {
                "role": "assistant",
                "parts": [{"type": "text", "content": cut_text(facts.text, limit)}],
                "finish_reason": (facts.finish_reasons or [""])[0],
            }
            attributes[A.GEN_AI_OUTPUT_MESSAGES] = _json([message])
    if reported_below:
        # The provider span below carries the usage and the cost.
        attributes[A.AIOBS_USAGE_REPORTED_BELOW] = True
        return
    if not facts.has_usage:
        return
    usage = {
        A.GEN_AI_USAGE_INPUT_TOKENS: facts.input_tokens,
        A.GEN_AI_USAGE_OUTPUT_TOKENS: facts.output_tokens,
        A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: facts.cache_read_input_tokens,
        A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: facts.reasoning_output_tokens,
    }
    attributes.update({k: v for k, v in usage.items() if v is not None})
    record.usage = facts.usage()
    cost = price_call(
        provider=provider,
        model=model,
        input_tokens=facts.input_tokens,
        output_tokens=facts.output_tokens,
        cache_read_input_tokens=facts.cache_read_input_tokens,
        reasoning_output_tokens=facts.reasoning_output_tokens,
    )
    attributes.update(cost_attributes(cost))
    record.cost = cost_event_field(cost)
