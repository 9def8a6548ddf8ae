"""OpenAI Responses API: ``Responses.create`` / ``AsyncResponses.create``.

    from aiobs_otel.instrumentors import OpenAIResponsesInstrumentor

    OpenAIResponsesInstrumentor().instrument()

One CLIENT span ``chat {model}`` per call (the conventions' operation for the
Responses API is ``chat``), ``stream=True`` included; ``responses.stream(...)``
goes through ``create`` and is traced the same way. Input items, instructions
(as system instructions), output items (messages, tool calls, reasoning
summaries), usage with cached and reasoning tokens and the response id are
recorded. In the JSON export: api ``responses.create``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import ProviderInstrumentor, Target
from ..common import export_value, listed, other_params
from ..lifecycle import Adapter, ProviderCall
from ..record import ApiSpec, LLMCall, as_int, text_of
from . import reader as r
from .completion import is_sdk_stream
from .raw import is_raw_response, record_raw_response
from .response_items import (
    ResponsesExport,
    ResponseStreamAccumulator,
    input_messages,
    record_response,
)

_EVENT_FIELDS = frozenset({"model", "input", "instructions", "temperature", "max_output_tokens"})


def responses_event(call: LLMCall) -> dict[str, Any]:
    """The event's request and response: the chat event's shape, with the
    Responses API's own names (``input``, ``instructions``, ``output``)."""
    export: ResponsesExport = call.export
    request = {
        "model": call.request_model,
        "input": export_value(export.input) if call.content else None,
        "instructions": export.instructions if call.content else None,
        "temperature": export.temperature,
        "max_output_tokens": export.max_output_tokens,
        "other": export_value(export.other),
    }
    if export.response is None and not export.responded:
        return {"request": request, "response": None}
    outputs = call.output_messages or []
    parts = outputs[0]["parts"] if outputs else []
    response: dict[str, Any] = {
        "id": call.response_id,
        "model": call.response_model,
        "usage": r.usage_dump(export.usage),
        "text": text_of(outputs[0]) if outputs else None,
        "status": export.status,
        "finish_reason": call.finish_reasons[0] if call.finish_reasons else None,
    }
    if call.content and export.response is not None:
        response["output"] = export_value(r.get(export.response, "output"))
    tool_calls = [
        {"id": p.get("id"), "name": p.get("name"), "arguments": p.get("arguments")}
        for p in parts
        if p.get("type") == "tool_call"
    ]
    if tool_calls:
        response["tool_calls"] = tool_calls
    reasoning = [p["content"] for p in parts if p.get("type") == "reasoning"]
    if reasoning:
        response["reasoning"] = reasoning
    if call.time_to_first_chunk is not None:
        response["time_to_first_chunk"] = call.time_to_first_chunk
    return {"request": request, "response": response}


API = ApiSpec(
    name="responses.create", event_provider="openai", operation="chat", event=responses_event
)


class ResponsesAdapter:
    """The Responses-specific half of the lifecycle (see ``lifecycle.Adapter``)."""

    api = API

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        r.read_request(call, instance, kwargs)
        call.max_tokens = as_int(r.given(kwargs, "max_output_tokens"))
        text_format = r.get(r.get(r.given(kwargs, "text"), "format"), "type")
        call.output_type = "json" if text_format in ("json_object", "json_schema") else None
        call.export = ResponsesExport(
            temperature=r.given(kwargs, "temperature"),
            max_output_tokens=r.given(kwargs, "max_output_tokens"),
            other=other_params(kwargs, _EVENT_FIELDS),
        )

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        export: ResponsesExport = call.export
        items = r.given(kwargs, "input")
        # A string, a list or a tuple: an iterator would be consumed before the SDK sends it.
        if isinstance(items, str) or listed(items) is not None:
            call.input_messages = input_messages(items)
            export.input = list(items) if not isinstance(items, str) else items
        instructions = r.given(kwargs, "instructions")
        if isinstance(instructions, str) and instructions:
            call.system_instructions = [{"type": "text", "content": instructions}]
            export.instructions = instructions
        tools = listed(r.given(kwargs, "tools"))
        if tools:
            call.tool_definitions = list(tools)

    def stream(self, result: Any, call: LLMCall) -> ResponseStreamAccumulator | None:
        return ResponseStreamAccumulator(call.content) if is_sdk_stream(result) else None

    def response(self, call: ProviderCall, result: Any) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        record_response(call.record, result)
        return None

    def error_type(self, error: BaseException) -> str:
        return r.error_type(error)


class OpenAIResponsesInstrumentor(ProviderInstrumentor):
    """Traces ``client.responses.create`` (sync, async, ``stream=True``, and
    ``client.responses.stream(...)``, which calls it). The Responses API
    exists from openai 1.66.0; older releases have nothing to wrap."""

    scope = "aiobs_otel.openai"
    instruments = r.INSTRUMENTS
    sdk_packages = r.SDK_PACKAGES
    targets = (
        Target("openai.resources.responses", "Responses.create"),
        Target("openai.resources.responses", "AsyncResponses.create", is_async=True),
    )

    def adapter(self) -> Adapter:
        return ResponsesAdapter()
