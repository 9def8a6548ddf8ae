"""Which span attributes fill which fields of an ObservabilityExport event.

The instrumentors only set span attributes; this table says how a provider
span reads back as the ``request`` / ``response`` that aiobs users know. A
field is a function of the span's attributes; ``MISSING`` leaves it out.

Adding an API means adding one ``EventSpec`` to ``EVENT_SPECS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import attributes as A

Attributes = Mapping[str, Any]
Field = Callable[[Attributes], Any]
MISSING: Any = object()


@dataclass(frozen=True)
class EventSpec:
    provider: str
    api: str
    request: Mapping[str, Field]
    response: Mapping[str, Field]


# --- field builders ----------------------------------------------------------


def attr(key: str) -> Field:
    """The attribute's value (sequences become lists)."""

    def read(attrs: Attributes) -> Any:
        value = attrs.get(key, MISSING)
        return list(value) if isinstance(value, tuple) else value

    return read


def first(key: str) -> Field:
    """The first item of a sequence attribute."""

    def read(attrs: Attributes) -> Any:
        value = attrs.get(key)
        return value[0] if value else MISSING

    return read


def group(fields: Mapping[str, Field]) -> Field:
    """A nested object of the fields that are present (left out when empty)."""

    def read(attrs: Attributes) -> Any:
        return render(fields, attrs) or MISSING

    return read


def json_attr(key: str) -> Field:
    def read(attrs: Attributes) -> Any:
        return load_json(attrs.get(key))

    return read


def load_json(raw: Any) -> Any:
    if not isinstance(raw, str):
        return MISSING
    try:
        return json.loads(raw)
    except ValueError:
        # Kept as text rather than lost: the attribute may have been cut by a
        # span attribute length limit.
        return raw


def render(fields: Mapping[str, Field], attrs: Attributes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in fields.items():
        value = field(attrs)
        if value is not MISSING:
            out[name] = value
    return out


# --- GenAI content (semantic-convention messages) to the aiobs shapes -------


def _text_of(parts: Any) -> str | None:
    if not isinstance(parts, list):
        return None
    texts = [p.get("content") for p in parts if isinstance(p, dict) and p.get("type") == "text"]
    return "".join(t for t in texts if isinstance(t, str)) if texts else None


def _flatten_message(message: Any) -> Any:
    """``{role, parts: [...]}`` to ``{role, content, tool_calls?, ...}``."""
    if not isinstance(message, dict):
        return message
    parts = message.get("parts") or []
    flat: dict[str, Any] = {"role": message.get("role"), "content": _text_of(parts)}
    tool_calls = [p for p in parts if isinstance(p, dict) and p.get("type") == "tool_call"]
    if tool_calls:
        flat["tool_calls"] = [
            {"id": c.get("id"), "name": c.get("name"), "arguments": c.get("arguments")}
            for c in tool_calls
        ]
    responses = [p for p in parts if isinstance(p, dict) and p.get("type") == "tool_call_response"]
    if responses:
        flat["tool_call_id"] = responses[0].get("id")
        if flat["content"] is None:
            flat["content"] = responses[0].get("response")
    other = [
        p
        for p in parts
        if isinstance(p, dict) and p.get("type") not in ("text", "tool_call", "tool_call_response")
    ]
    if other:
        flat["parts"] = other
    if message.get("name"):
        flat["name"] = message["name"]
    return flat


def messages(attrs: Attributes) -> Any:
    """All input messages, in order, each with its role (system messages
    included: OpenAI keeps them in the input messages)."""
    inputs = load_json(attrs.get(A.GEN_AI_INPUT_MESSAGES))
    if not isinstance(inputs, list) or not inputs:
        return MISSING
    return [_flatten_message(m) for m in inputs]


def system_instruction(attrs: Attributes) -> Any:
    text = _text_of(load_json(attrs.get(A.GEN_AI_SYSTEM_INSTRUCTIONS)))
    return MISSING if text is None else text


def output_text(attrs: Attributes) -> Any:
    """The text of the first output message (the first choice / candidate)."""
    outputs = load_json(attrs.get(A.GEN_AI_OUTPUT_MESSAGES))
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        text = _text_of(outputs[0].get("parts"))
        return MISSING if text is None else text
    return MISSING


def tool_calls_out(attrs: Attributes) -> Any:
    outputs = load_json(attrs.get(A.GEN_AI_OUTPUT_MESSAGES))
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        return _flatten_message(outputs[0]).get("tool_calls", MISSING)
    return MISSING


def finish_reason(attrs: Attributes) -> Any:
    reasons = attrs.get(A.GEN_AI_RESPONSE_FINISH_REASONS)
    if not reasons:
        return MISSING
    reasons = list(reasons)
    return reasons[0] if len(reasons) == 1 else reasons


def usage(attrs: Attributes) -> Any:
    """Token usage in the keys aiobs exports have always used."""
    prompt = attrs.get(A.GEN_AI_USAGE_INPUT_TOKENS)
    completion = attrs.get(A.GEN_AI_USAGE_OUTPUT_TOKENS)
    out: dict[str, Any] = {}
    if prompt is not None:
        out["prompt_tokens"] = prompt
    if completion is not None:
        out["completion_tokens"] = completion
    if prompt is not None or completion is not None:
        out["total_tokens"] = (prompt or 0) + (completion or 0)
    cached = attrs.get(A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
    if cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    reasoning = attrs.get(A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out or MISSING


def extra(key: str) -> Callable[[Attributes], dict[str, Any]]:
    """An ``aiobs.*.extra`` JSON object: fields the conventions have no name for."""

    def read(attrs: Attributes) -> dict[str, Any]:
        value = load_json(attrs.get(key))
        return value if isinstance(value, dict) else {}

    return read


# --- the table ---------------------------------------------------------------

_SAMPLING = {
    "top_p": attr(A.GEN_AI_REQUEST_TOP_P),
    "frequency_penalty": attr(A.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    "presence_penalty": attr(A.GEN_AI_REQUEST_PRESENCE_PENALTY),
    "stop": attr(A.GEN_AI_REQUEST_STOP_SEQUENCES),
    "seed": attr(A.GEN_AI_REQUEST_SEED),
    "n": attr(A.GEN_AI_REQUEST_CHOICE_COUNT),
    "stream": attr(A.GEN_AI_REQUEST_STREAM),
    "tools": json_attr(A.GEN_AI_TOOL_DEFINITIONS),
}


def with_params(fields: Mapping[str, Field]) -> Field:
    """``fields`` plus the ``aiobs.request.params`` JSON object (left out when empty)."""

    def read(attrs: Attributes) -> Any:
        out = render(fields, attrs)
        params = load_json(attrs.get(A.AIOBS_REQUEST_PARAMS))
        if isinstance(params, dict):
            out.update(params)
        return out or MISSING

    return read


# OpenAI chat: system messages stay in gen_ai.input.messages (in order, with
# their role); gen_ai.system_instructions repeats their text for backends.
CHAT = EventSpec(
    provider="openai",
    api="chat.completions.create",
    request={
        "model": attr(A.GEN_AI_REQUEST_MODEL),
        "messages": messages,
        "temperature": attr(A.GEN_AI_REQUEST_TEMPERATURE),
        "max_tokens": attr(A.GEN_AI_REQUEST_MAX_TOKENS),
        "other": with_params(_SAMPLING),
    },
    response={
        "id": attr(A.GEN_AI_RESPONSE_ID),
        "model": attr(A.GEN_AI_RESPONSE_MODEL),
        "usage": usage,
        "text": output_text,
        "tool_calls": tool_calls_out,
        "finish_reason": finish_reason,
        "time_to_first_chunk": attr(A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
    },
)

# Embeddings: ``input`` and the requested ``dimensions`` come from
# aiobs.request.extra; ``count`` (and the opt-in ``embeddings``) from
# aiobs.response.extra.
EMBEDDINGS = EventSpec(
    provider="openai",
    api="embeddings.create",
    request={
        "model": attr(A.GEN_AI_REQUEST_MODEL),
        "encoding_format": first(A.GEN_AI_REQUEST_ENCODING_FORMATS),
        "other": with_params({}),
    },
    response={
        "model": attr(A.GEN_AI_RESPONSE_MODEL),
        "usage": usage,
        "embedding_dimensions": attr(A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    },
)

_GEMINI_CONFIG = {
    "temperature": attr(A.GEN_AI_REQUEST_TEMPERATURE),
    "top_p": attr(A.GEN_AI_REQUEST_TOP_P),
    "top_k": attr(A.GEN_AI_REQUEST_TOP_K),
    "max_output_tokens": attr(A.GEN_AI_REQUEST_MAX_TOKENS),
    "stop_sequences": attr(A.GEN_AI_REQUEST_STOP_SEQUENCES),
    "seed": attr(A.GEN_AI_REQUEST_SEED),
    "candidate_count": attr(A.GEN_AI_REQUEST_CHOICE_COUNT),
    "presence_penalty": attr(A.GEN_AI_REQUEST_PRESENCE_PENALTY),
    "frequency_penalty": attr(A.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    "tools": json_attr(A.GEN_AI_TOOL_DEFINITIONS),
}

GENERATE_CONTENT = EventSpec(
    provider="gemini",
    api="models.generate_content",
    request={
        "model": attr(A.GEN_AI_REQUEST_MODEL),
        "contents": messages,
        "system_instruction": system_instruction,
        "config": group(_GEMINI_CONFIG),
        "other": group({"stream": attr(A.GEN_AI_REQUEST_STREAM)}),
    },
    response={
        "id": attr(A.GEN_AI_RESPONSE_ID),
        "model": attr(A.GEN_AI_RESPONSE_MODEL),
        "usage": usage,
        "text": output_text,
        "finish_reasons": attr(A.GEN_AI_RESPONSE_FINISH_REASONS),
        "time_to_first_chunk": attr(A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
    },
)

# prompt, image / video metadata and config come from aiobs.request.extra;
# operation_name, done, generated_videos (and error) from aiobs.response.extra.
GENERATE_VIDEOS = EventSpec(
    provider="gemini",
    api="models.generate_videos",
    request={"model": attr(A.GEN_AI_REQUEST_MODEL)},
    response={"model": attr(A.GEN_AI_RESPONSE_MODEL)},
)

_GEMINI_PROVIDERS = ("gcp.gemini", "gcp.vertex_ai")

# (gen_ai.provider.name, gen_ai.operation.name) -> spec
EVENT_SPECS: dict[tuple[str, str], EventSpec] = {
    ("openai", "chat"): CHAT,
    ("openai", "embeddings"): EMBEDDINGS,
    **{(p, "generate_content"): GENERATE_CONTENT for p in _GEMINI_PROVIDERS},
    **{(p, "generate_videos"): GENERATE_VIDEOS for p in _GEMINI_PROVIDERS},
}

request_extra = extra(A.AIOBS_REQUEST_EXTRA)
response_extra = extra(A.AIOBS_RESPONSE_EXTRA)
