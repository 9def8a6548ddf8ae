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
from ._common import listed, span_name
from ._lifecycle import ApiRecorder, ChunkAccumulator, ProviderCall
from ._openai_common import (
    base_attributes,
    error_type,
    get,
    given,
    input_message,
    output_message,
    params_json,
    system_instructions,
    usage_attributes,
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

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        model = given(kwargs, "model")
        attributes = base_attributes(instance, "chat", model)
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
        attributes = {k: v for k, v in attributes.items() if v is not None}
        return span_name("chat", model), attributes

    def content(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # Only lists and tuples are read: an iterator would be consumed before the SDK sends it.
        messages = listed(given(kwargs, "messages"))
        if messages is not None:
            out[A.GEN_AI_INPUT_MESSAGES] = dumps([input_message(m) for m in messages])
            system = system_instructions(messages)
            if system:
                out[A.GEN_AI_SYSTEM_INSTRUCTIONS] = dumps(system)
        tools = listed(given(kwargs, "tools")) or listed(given(kwargs, "functions"))
        if tools:
            out[A.GEN_AI_TOOL_DEFINITIONS] = dumps(tools)
        return out

    def stream(self, result: Any, content: bool) -> ChunkAccumulator | None:
        return ChatStreamAccumulator(content) if _is_sdk_stream(result) else None

    def response(self, call: ProviderCall, result: Any) -> Any:
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
    if isinstance(model, str) and model:
        call.response_model = model
    reasons = [str(reason or "") for _, reason in outputs]
    attributes = usage_attributes(call, usage)
    attributes[A.GEN_AI_RESPONSE_ID] = response_id or None
    attributes[A.GEN_AI_RESPONSE_MODEL] = call.response_model
    attributes[A.GEN_AI_RESPONSE_FINISH_REASONS] = reasons if any(reasons) else None
    if call.content and outputs:
        messages = [output_message(message, reason) for message, reason in outputs]
        attributes[A.GEN_AI_OUTPUT_MESSAGES] = dumps(messages)
    call.set(attributes)


def _output_type(response_format: Any) -> str | None:
    kind = get(response_format, "type")
    if kind in ("json_object", "json_schema"):
        return "json"
    return "text" if kind == "text" else None


try:
    from openai import AsyncStream as _AsyncStream
    from openai import Stream as _Stream

    _SDK_STREAMS: tuple[type, ...] = (_Stream, _AsyncStream)
except ImportError:  # pragma: no cover - the instrumentor only runs with openai
    _SDK_STREAMS = ()


def _is_sdk_stream(result: Any) -> bool:
    return isinstance(result, _SDK_STREAMS)


# --- streams -------------------------------------------------------------------


@dataclass
class _ChoiceDeltas:
    role: str | None = None
    text: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    finish_reason: str | None = None

    def add(self, delta: Any) -> None:
        if delta is None:
            return
        # Each field read once per chunk.
        role = get(delta, "role")
        text = get(delta, "content")
        refusal = get(delta, "refusal")
        tool_calls = get(delta, "tool_calls")
        function_call = get(delta, "function_call")
        if role:
            self.role = role
        if text:
            self.text.append(str(text))
        if refusal:
            self.refusal.append(str(refusal))
        for call in tool_calls or ():
            self._tool_call(get(call, "index", len(self.tool_calls)), call)
        if function_call:  # the legacy single function call
            self._tool_call(-1, {"function": function_call})

    def _tool_call(self, index: int, delta: Any) -> None:
        slot = self.tool_calls.setdefault(index, {"id": None, "name": None, "arguments": []})
        slot["id"] = get(delta, "id") or slot["id"]
        function = get(delta, "function")
        slot["name"] = get(function, "name") or slot["name"]
        arguments = get(function, "arguments")
        if arguments:
            slot["arguments"].append(str(arguments))

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
    """Folds chunks as they arrive: id, model, finish reasons and usage (from
    the chunk that carries it: the last one, with ``stream_options.include_usage``);
    with ``content``, also each choice's text and tool-call deltas."""

    def __init__(self, content: bool = True) -> None:
        self.content = content
        self.response_id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.choices: dict[int, _ChoiceDeltas] = {}

    def add(self, chunk: Any) -> None:
        # Azure's first chunk (prompt filter results) has an empty id and model.
        if self.response_id is None:
            self.response_id = get(chunk, "id") or None
        if self.model is None:
            self.model = get(chunk, "model") or None
        usage = get(chunk, "usage")
        if usage:
            self.usage = usage
        for choice in get(chunk, "choices") or ():
            index = get(choice, "index", 0)
            deltas = self.choices.get(index)
            if deltas is None:
                deltas = self.choices[index] = _ChoiceDeltas()
            if self.content:
                deltas.add(get(choice, "delta"))
            reason = get(choice, "finish_reason")
            if reason:
                deltas.finish_reason = reason

    def record(self, call: ProviderCall) -> None:
        choices = [c for _, c in sorted(self.choices.items())]
        outputs = [(c.message() if self.content else None, c.finish_reason) for c in choices]
        record_completion(
            call, response_id=self.response_id, model=self.model, outputs=outputs, usage=self.usage
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
