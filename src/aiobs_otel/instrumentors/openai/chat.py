"""OpenAI chat completions: ``Completions.create`` / ``AsyncCompletions.create``.

    from aiobs_otel.instrumentors import OpenAIChatInstrumentor

    OpenAIChatInstrumentor().instrument(tracer_provider=provider)

One CLIENT span ``chat {model}`` per call, streams included (the span ends at
the last chunk, on ``close()``, on ``with`` exit or when an abandoned stream is
garbage-collected). In the JSON export: api ``chat.completions.create``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import attributes as A
from ...values import dumps
from ..base import ProviderInstrumentor, Target
from ..common import export_value, listed, other_params
from ..lifecycle import Adapter, ProviderCall
from ..record import ApiSpec, LLMCall, as_int, as_number, text_of
from . import reader as r
from .completion import ChatExport, ChatStreamAccumulator, is_sdk_stream, record_completion
from .raw import is_raw_response, record_raw_response

# Keyword arguments the aiobs event has a field for; every other one is in ``other``.
_EVENT_FIELDS = frozenset({"model", "messages", "temperature", "max_tokens"})
# Request parameters without a convention name: on spans as ``aiobs.request.params``.
_SPAN_PARAMS = (
    "tool_choice", "response_format", "reasoning_effort", "parallel_tool_calls",
    "stream_options", "logprobs", "top_logprobs", "logit_bias", "service_tier", "modalities",
    "store", "metadata", "user", "verbosity", "function_call",
)  # fmt: skip


def chat_event(call: LLMCall) -> dict[str, Any]:
    """The event's request and response, in the shape aiobs writes."""
    export: ChatExport = call.export
    messages = export.messages
    request = {
        "model": call.request_model,
        "messages": [_export_message(m) for m in messages] if messages is not None else None,
        "temperature": export.temperature,
        "max_tokens": export.max_tokens,
        "other": export_value(export.other),
    }
    if not export.responded:
        return {"request": request, "response": None}
    outputs = call.output_messages or []
    response: dict[str, Any] = {
        "id": call.response_id,
        "model": call.response_model,
        "usage": r.usage_dump(export.usage),
        "text": text_of(outputs[0]) if outputs else None,
    }
    reasons = call.finish_reasons
    if reasons:
        response["finish_reason"] = reasons[0] if len(reasons) == 1 else list(reasons)
    tool_calls = [
        {"id": p.get("id"), "name": p.get("name"), "arguments": p.get("arguments")}
        for p in (outputs[0]["parts"] if outputs else ())
        if p.get("type") == "tool_call"
    ]
    if tool_calls:
        response["tool_calls"] = tool_calls
    if call.time_to_first_chunk is not None:
        response["time_to_first_chunk"] = call.time_to_first_chunk
    return {"request": request, "response": response}


def _export_message(message: Any) -> dict[str, Any]:
    out = {"role": r.get(message, "role"), "content": r.export_content(r.get(message, "content"))}
    for key in ("tool_calls", "tool_call_id", "name", "function_call"):
        value = r.get(message, key)
        if value is not None:
            out[key] = export_value(value)
    return out


API = ApiSpec(
    name="chat.completions.create", event_provider="openai", operation="chat", event=chat_event
)


class ChatAdapter:
    """The chat-specific half of the lifecycle (see ``lifecycle.Adapter``)."""

    api = API

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        r.read_request(call, instance, kwargs)
        call.frequency_penalty = as_number(r.given(kwargs, "frequency_penalty"))
        call.presence_penalty = as_number(r.given(kwargs, "presence_penalty"))
        call.seed = as_int(r.given(kwargs, "seed"))
        call.max_tokens = as_int(
            r.given(kwargs, "max_completion_tokens") or r.given(kwargs, "max_tokens")
        )
        stop = r.given(kwargs, "stop")
        call.stop_sequences = [stop] if isinstance(stop, str) else _strings(stop)
        choices = as_int(r.given(kwargs, "n"))
        call.choice_count = choices if choices != 1 else None
        call.output_type = _output_type(r.given(kwargs, "response_format"))
        params = {key: v for key in _SPAN_PARAMS if (v := r.given(kwargs, key)) is not None}
        if params:
            call.extra_attributes[A.AIOBS_REQUEST_PARAMS] = dumps(params)
        call.export = ChatExport(
            temperature=r.given(kwargs, "temperature"),
            max_tokens=r.given(kwargs, "max_tokens"),
            other=other_params(kwargs, _EVENT_FIELDS),
        )

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        # Only lists and tuples are read: an iterator would be consumed before the SDK sends it.
        messages = listed(r.given(kwargs, "messages"))
        if messages is not None:
            # System and developer messages are part of the chat history: the
            # conventions record them there, not in gen_ai.system_instructions.
            call.input_messages = [r.input_message(m) for m in messages]
            call.export.messages = list(messages)
        tools = listed(r.given(kwargs, "tools")) or listed(r.given(kwargs, "functions"))
        if tools:
            call.tool_definitions = list(tools)

    def stream(self, result: Any, call: LLMCall) -> ChatStreamAccumulator | None:
        return ChatStreamAccumulator(call.content) if is_sdk_stream(result) else None

    def response(self, call: ProviderCall, result: Any) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        choices = sorted(r.get(result, "choices") or [], key=lambda c: r.get(c, "index", 0))
        record_completion(
            call.record,
            response_id=r.get(result, "id"),
            model=r.get(result, "model"),
            outputs=[(r.get(c, "message"), r.get(c, "finish_reason")) for c in choices],
            usage=r.get(result, "usage"),
        )
        return None

    def error_type(self, error: BaseException) -> str:
        return r.error_type(error)


def _strings(value: Any) -> list[str] | None:
    items = listed(value)
    return [str(s) for s in items] if items else None


def _output_type(response_format: Any) -> str | None:
    kind = r.get(response_format, "type")
    if kind in ("json_object", "json_schema"):
        return "json"
    return "text" if kind == "text" else None


class OpenAIChatInstrumentor(ProviderInstrumentor):
    """Traces ``client.chat.completions.create`` (sync, async, ``stream=True``,
    ``with_raw_response``, ``with_streaming_response``)."""

    scope = "aiobs_otel.openai"
    instruments = r.INSTRUMENTS
    sdk_packages = r.SDK_PACKAGES
    targets = (
        Target("openai.resources.chat.completions", "Completions.create"),
        Target("openai.resources.chat.completions", "AsyncCompletions.create", is_async=True),
    )

    def adapter(self) -> Adapter:
        return ChatAdapter()
