"""What a ``generation`` function returned: usage, text, model, from common shapes.

A user-wrapped model call returns whatever its SDK returns. We read, without
side effects (no property that makes a request, no stream consumed):

* OpenAI chat completions and Responses API results (SDK objects and dicts);
* Anthropic messages (``usage.input_tokens`` / ``output_tokens``, cache reads);
* Bedrock ``converse`` (``usage.inputTokens`` / ``outputTokens``), and
  ``invoke_model``: the raw response's token-count headers (its ``body`` is a
  ``StreamingBody`` we never read), or a body the function already parsed
  (Anthropic-on-Bedrock, Titan, Llama, Mistral, Cohere, Nova);
* Gemini ``GenerateContentResponse`` objects and dicts (``usage_metadata``);
* a plain string (its text).

Anything else gives empty ``ResponseFacts``: recorded as the result is, no usage.
Token counts follow the GenAI conventions: input includes cached input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|us-gov|global)\.)?"
    r"(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|writer|qwen|openai)\.",
    re.IGNORECASE,
)
_INPUT_HEADER = "x-amzn-bedrock-input-token-count"
_OUTPUT_HEADER = "x-amzn-bedrock-output-token-count"


@dataclass(slots=True)
class ResponseFacts:
    provider: str | None = None  # gen_ai.provider.name the shape tells
    model: str | None = None
    response_id: str | None = None
    finish_reasons: list[str] | None = None
    text: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None

    @property
    def has_usage(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None

    def usage(self) -> dict[str, int] | None:
        """llmops's ``usage`` object (``input_tokens``, ``output_tokens``, ``total_tokens``)."""
        if not self.has_usage:
            return None
        out = {"input_tokens": self.input_tokens or 0, "output_tokens": self.output_tokens or 0}
        out["total_tokens"] = out["input_tokens"] + out["output_tokens"]
        if self.cache_read_input_tokens is not None:
            out["cache_read_input_tokens"] = self.cache_read_input_tokens
        if self.reasoning_output_tokens is not None:
            out["reasoning_output_tokens"] = self.reasoning_output_tokens
        return out


def is_bedrock_model(model: str | None) -> bool:
    return bool(model) and _BEDROCK_ID.match(model or "") is not None


def get(value: Any, key: str) -> Any:
    """``value[key]`` or ``value.key``; None when absent or when reading fails."""
    if isinstance(value, Mapping):
        return value.get(key)
    if value is None or isinstance(value, (str, bytes, bytearray, int, float, list, tuple)):
        return None
    try:
        return getattr(value, key, None)
    except Exception:  # a property that raises is no answer
        return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():  # HTTP headers
        return int(value.strip())
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(parts: Any, key: str = "text") -> str | None:
    if not isinstance(parts, (list, tuple)):
        return None
    found = [
        t for p in parts if isinstance(t := get(p, key), str) and get(p, "thought") is not True
    ]
    return "".join(found) if found else None


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    text = getattr(value, "name", None) or getattr(value, "value", None) or value
    return str(text).lower() if text else None


def _reasons(*values: Any) -> list[str] | None:
    found = [r for v in values if (r := _reason(v))]
    return found or None


def read_response(result: Any) -> ResponseFacts:
    """The facts of ``result`` (empty when the shape is not known)."""
    if isinstance(result, str):
        return ResponseFacts(text=result)
    for reader in (_openai_chat, _openai_responses, _anthropic, _converse, _gemini, _bedrock_body):
        facts = reader(result)
        if facts is not None:
            return facts
    return ResponseFacts()


def _openai_chat(result: Any) -> ResponseFacts | None:
    choices = get(result, "choices")
    if not isinstance(choices, list):
        return None
    usage = get(result, "usage")
    facts = ResponseFacts(
        provider="openai" if get(result, "object") == "chat.completion" else None,
        model=_str(get(result, "model")),
        response_id=_str(get(result, "id")),
        finish_reasons=_reasons(*(get(c, "finish_reason") for c in choices)),
        input_tokens=_int(get(usage, "prompt_tokens")),
        output_tokens=_int(get(usage, "completion_tokens")),
        cache_read_input_tokens=_int(get(get(usage, "prompt_tokens_details"), "cached_tokens")),
        reasoning_output_tokens=_int(
            get(get(usage, "completion_tokens_details"), "reasoning_tokens")
        ),
    )
    if choices:
        message = get(choices[0], "message")
        content = get(message, "content")
        facts.text = content if isinstance(content, str) else _texts(content)
    return facts


def _openai_responses(result: Any) -> ResponseFacts | None:
    output = get(result, "output")
    if get(result, "object") != "response" or not isinstance(output, list):
        return None
    usage = get(result, "usage")
    texts = [
        t
        for item in output
        if get(item, "type") == "message"
        for part in (get(item, "content") or ())
        if get(part, "type") == "output_text" and isinstance(t := get(part, "text"), str)
    ]
    return ResponseFacts(
        provider="openai",
        model=_str(get(result, "model")),
        response_id=_str(get(result, "id")),
        finish_reasons=_reasons(get(result, "status")),
        text="".join(texts) if texts else None,
        input_tokens=_int(get(usage, "input_tokens")),
        output_tokens=_int(get(usage, "output_tokens")),
        cache_read_input_tokens=_int(get(get(usage, "input_tokens_details"), "cached_tokens")),
        reasoning_output_tokens=_int(get(get(usage, "output_tokens_details"), "reasoning_tokens")),
    )


def _anthropic(result: Any) -> ResponseFacts | None:
    if get(result, "type") != "message" or get(result, "role") != "assistant":
        return None
    usage = get(result, "usage")
    # Anthropic counts cache reads and writes apart from input_tokens; the
    # conventions' input count includes them.
    uncached = _int(get(usage, "input_tokens"))
    cached = _int(get(usage, "cache_read_input_tokens"))
    written = _int(get(usage, "cache_creation_input_tokens")) or 0
    total_input = None if uncached is None else uncached + (cached or 0) + written
    return ResponseFacts(
        provider="anthropic",
        model=_str(get(result, "model")),
        response_id=_str(get(result, "id")),
        finish_reasons=_reasons(get(result, "stop_reason")),
        text=_texts(get(result, "content")),
        input_tokens=total_input,
        output_tokens=_int(get(usage, "output_tokens")),
        cache_read_input_tokens=cached,
    )


def _converse(result: Any) -> ResponseFacts | None:
    """Bedrock ``converse`` (and Nova's ``invoke_model`` body, the same shape)."""
    message = get(get(result, "output"), "message")
    if message is None:
        return None
    usage = get(result, "usage")
    uncached = _int(get(usage, "inputTokens"))
    cached = _int(get(usage, "cacheReadInputTokens"))
    written = _int(get(usage, "cacheWriteInputTokens")) or 0
    return ResponseFacts(
        provider="aws.bedrock" if usage is not None or "stopReason" in _keys(result) else None,
        finish_reasons=_reasons(get(result, "stopReason")),
        text=_texts(get(message, "content")),
        input_tokens=None if uncached is None else uncached + (cached or 0) + written,
        output_tokens=_int(get(usage, "outputTokens")),
        cache_read_input_tokens=cached,
    )


def _gemini(result: Any) -> ResponseFacts | None:
    usage = get(result, "usage_metadata")
    if usage is None:
        usage = get(result, "usageMetadata")
    candidates = get(result, "candidates")
    if usage is None and not (isinstance(candidates, list) and candidates):
        return None

    def field(snake: str, camel: str) -> Any:
        found = get(usage, snake)
        return found if found is not None else get(usage, camel)

    first = candidates[0] if isinstance(candidates, list) and candidates else None
    model = get(result, "model_version") or get(result, "modelVersion")
    response_id = get(result, "response_id") or get(result, "responseId")
    return ResponseFacts(
        provider="gcp.gemini",
        model=_str(model),
        response_id=_str(response_id),
        finish_reasons=_reasons(
            *(get(c, "finish_reason") or get(c, "finishReason") for c in candidates or ())
        ),
        text=_texts(get(get(first, "content"), "parts")),
        input_tokens=_int(field("prompt_token_count", "promptTokenCount")),
        output_tokens=_int(field("candidates_token_count", "candidatesTokenCount")),
        cache_read_input_tokens=_int(
            field("cached_content_token_count", "cachedContentTokenCount")
        ),
        reasoning_output_tokens=_int(field("thoughts_token_count", "thoughtsTokenCount")),
    )


def _bedrock_body(result: Any) -> ResponseFacts | None:
    """``invoke_model``: the raw response (headers only) or a parsed body."""
    if not isinstance(result, Mapping):
        return None
    headers = get(get(result, "ResponseMetadata"), "HTTPHeaders")
    if "body" in result and "contentType" in result:
        return ResponseFacts(
            provider="aws.bedrock",
            input_tokens=_int(get(headers, _INPUT_HEADER)),
            output_tokens=_int(get(headers, _OUTPUT_HEADER)),
        )
    results = result.get("results")
    if "inputTextTokenCount" in result and isinstance(results, list):  # Titan text
        first = results[0] if results else None
        return ResponseFacts(
            provider="aws.bedrock",
            finish_reasons=_reasons(get(first, "completionReason")),
            text=_str(get(first, "outputText")),
            input_tokens=_int(result.get("inputTextTokenCount")),
            output_tokens=_int(sum(_int(get(r, "tokenCount")) or 0 for r in results)),
        )
    if "generation" in result and "prompt_token_count" in result:  # Llama
        return ResponseFacts(
            provider="aws.bedrock",
            finish_reasons=_reasons(result.get("stop_reason")),
            text=_str(result.get("generation")),
            input_tokens=_int(result.get("prompt_token_count")),
            output_tokens=_int(result.get("generation_token_count")),
        )
    for key in ("outputs", "generations"):  # Mistral, Cohere Command
        listed = result.get(key)
        if isinstance(listed, list) and listed and isinstance(get(listed[0], "text"), str):
            return ResponseFacts(
                provider="aws.bedrock",
                finish_reasons=_reasons(*(_stop(o) for o in listed)),
                text=_texts(listed),
            )
    return None


def _stop(output: Any) -> Any:
    return get(output, "stop_reason") or get(output, "finish_reason")


def _keys(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, Mapping) else ()
