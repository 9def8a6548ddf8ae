"""OpenAI chat completions: ``Completions.create`` / ``AsyncCompletions.create``.

    from aiobs_otel.instrumentors.openai_chat import OpenAIChatInstrumentor

    OpenAIChatInstrumentor().instrument(tracer_provider=provider)

One CLIENT span ``chat {model}`` per call, streams included (the span ends
at the last chunk, on ``close()``, on ``with`` exit or when an abandoned
stream is garbage-collected).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import attributes as A
from .._safe import dumps
from ._base import ProviderInstrumentor, Target
from ._lifecycle import ApiRecorder, ChunkAccumulator, ProviderCall
from ._openai_common import (
    base_attributes,
    error_type,
    get,
    given,
    input_message,
    output_message,
    params_json,
    record_usage,
    span_name,
    system_instructions,
)
from ._openai_raw import is_raw_response, record_raw_response

# The supported SDK range; CI tests the oldest and the newest release. 1.26.0
# is the first whose create() takes ``stream_options`` (usage of streams).
INSTRUMENTS = ("openai >= 1.26.0, < 4",)

# Request parameters without a convention name, kept for the event's ``other``.
_OTHER_PARAMS = (
    "tool_choice",
    "response_format",
    "reasoning_effort",
    "parallel_tool_calls",
    "stream_options",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "service_tier",
    "modalities",
    "store",
    "metadata",
    "user",
    "verbosity",
    "function_call",
)

_SCALARS = (
    ("temperature", A.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", A.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", A.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", A.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("seed", A.GEN_AI_REQUEST_SEED),
)


class ChatRecorder:
    """The chat-specific half of the lifecycle (see ``ApiRecorder``)."""

    def request(
        self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], content: bool
    ) -> tuple[str, dict[str, Any]]:
        attributes = base_attributes(instance, "chat", given(kwargs, "model"))
        for key, name in _SCALARS:
            attributes[name] = given(kwargs, key)
        attributes[A.GEN_AI_REQUEST_MAX_TOKENS] = given(kwargs, "max_completion_tokens") or given(
            kwargs, "max_tokens"
        )
        stop = given(kwargs, "stop")
        attributes[A.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop] if isinstance(stop, str) else stop
        stream = given(kwargs, "stream")
        attributes[A.GEN_AI_REQUEST_STREAM] = bool(stream) if stream is not None else None
        choices = given(kwargs, "n")
        attributes[A.GEN_AI_REQUEST_CHOICE_COUNT] = choices if choices != 1 else None
        attributes[A.GEN_AI_OUTPUT_TYPE] = _output_type(given(kwargs, "response_format"))
        attributes[A.AIOBS_REQUEST_PARAMS] = params_json(kwargs, _OTHER_PARAMS)
        if content:
            messages = list(given(kwargs, "messages") or [])
            attributes[A.GEN_AI_INPUT_MESSAGES] = dumps([input_message(m) for m in messages])
            system = system_instructions(messages)
            if system:
                attributes[A.GEN_AI_SYSTEM_INSTRUCTIONS] = dumps(system)
            tools = given(kwargs, "tools") or given(kwargs, "functions")
            if tools:
                attributes[A.GEN_AI_TOOL_DEFINITIONS] = dumps(tools)
        attributes = {k: v for k, v in attributes.items() if v is not None}
        return span_name(attributes), attributes

    def stream(self, result: Any, kwargs: Mapping[str, Any]) -> ChunkAccumulator | None:
        return ChatStreamAccumulator() if _is_sdk_stream(result) else None

    def response(self, call: ProviderCall, result: Any, content: bool) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        choices = sorted(get(result, "choices") or [], key=lambda c: get(c, "index", 0))
        record_completion(
            call,
            response_id=get(result, "id"),
            model=get(result, "model"),
            outputs=[(get(c, "message"), get(c, "finish_reason")) for c in choices],
            usage=get(result, "usage"),
        )
        return None

    def error_type(self, error: BaseException) -> str:
        return error_type(error)


def record_completion(
    call: ProviderCall,
    *,
    response_id: Any,
    model: Any,
    outputs: list[tuple[Any, Any]],
    usage: Any,
) -> None:
    """Record a completed chat response (from a result or an assembled stream)."""
    call.set({A.GEN_AI_RESPONSE_ID: response_id or None})
    call.set_response_model(model if isinstance(model, str) else None)
    reasons = [str(reason or "") for _, reason in outputs]
    if any(reasons):
        call.set({A.GEN_AI_RESPONSE_FINISH_REASONS: reasons})
    record_usage(call, usage)
    if call.content and outputs:
        messages = [output_message(message, reason) for message, reason in outputs]
        call.set({A.GEN_AI_OUTPUT_MESSAGES: dumps(messages)})


def _output_type(response_format: Any) -> str | None:
    kind = get(response_format, "type")
    if kind in ("json_object", "json_schema"):
        return "json"
    return "text" if kind == "text" else None


def _is_sdk_stream(result: Any) -> bool:
    try:
        from openai import AsyncStream, Stream
    except ImportError:  # pragma: no cover - the instrumentor only runs with openai
        return False
    return isinstance(result, (Stream, AsyncStream))


# --- streams -------------------------------------------------------------------


@dataclass
class _ChoiceDeltas:
    role: str | None = None
    text: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None

    def add(self, delta: Any) -> None:
        self.role = get(delta, "role") or self.role
        if get(delta, "content"):
            self.text.append(str(get(delta, "content")))
        if get(delta, "refusal"):
            self.refusal.append(str(get(delta, "refusal")))
        for call in get(delta, "tool_calls") or []:
            self._tool_call(get(call, "index", len(self.tool_calls)), call)
        if get(delta, "function_call"):  # the legacy single function call
            self._tool_call(-1, {"function": get(delta, "function_call")})

    def _tool_call(self, index: int, delta: Any) -> None:
        slot = self.tool_calls.setdefault(index, {"id": None, "name": None, "arguments": []})
        slot["id"] = get(delta, "id") or slot["id"]
        function = get(delta, "function")
        slot["name"] = get(function, "name") or slot["name"]
        if get(function, "arguments"):
            slot["arguments"].append(str(get(function, "arguments")))

    def message(self) -> dict[str, Any]:
        """The assembled assistant message, in the SDK's message shape."""
        calls = [
            {"id": c["id"], "function": {"name": c["name"], "arguments": "".join(c["arguments"])}}
            for _, c in sorted(self.tool_calls.items())
        ]
        return {
            "role": self.role or "assistant",
            "content": "".join(self.text) if self.text else None,
            "refusal": "".join(self.refusal) if self.refusal else None,
            "tool_calls": calls,
        }


class ChatStreamAccumulator:
    """Assembles text and tool-call deltas per choice; usage from the chunk
    that carries it (the last one, with ``stream_options.include_usage``)."""

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.choices: dict[int, _ChoiceDeltas] = {}

    def add(self, chunk: Any) -> None:
        # Azure's first chunk (prompt filter results) has an empty id and model.
        self.response_id = self.response_id or get(chunk, "id") or None
        self.model = self.model or get(chunk, "model") or None
        self.usage = get(chunk, "usage") or self.usage
        for choice in get(chunk, "choices") or []:
            deltas = self.choices.setdefault(get(choice, "index", 0), _ChoiceDeltas())
            deltas.add(get(choice, "delta"))
            deltas.finish_reason = get(choice, "finish_reason") or deltas.finish_reason

    def record(self, call: ProviderCall) -> None:
        record_completion(
            call,
            response_id=self.response_id,
            model=self.model,
            outputs=[(c.message(), c.finish_reason) for _, c in sorted(self.choices.items())],
            usage=self.usage,
        )


class OpenAIChatInstrumentor(ProviderInstrumentor):
    """Traces ``client.chat.completions.create`` (sync, async, ``stream=True``,
    ``with_raw_response``, ``with_streaming_response``)."""

    scope = "aiobs_otel.openai"
    instruments = INSTRUMENTS
    targets = (
        Target("openai.resources.chat.completions", "Completions.create"),
        Target("openai.resources.chat.completions", "AsyncCompletions.create", is_async=True),
    )

    def recorder(self) -> ApiRecorder:
        return ChatRecorder()
