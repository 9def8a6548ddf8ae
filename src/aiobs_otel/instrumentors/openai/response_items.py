"""The Responses API's items: input items and output items as messages in the
conventions' part form, and a response stream folded into the final response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..record import LLMCall, Message, Part
from . import reader as r


@dataclass(slots=True)
class ResponsesExport:
    """What the aiobs event needs beyond the typed record."""

    temperature: Any
    max_output_tokens: Any
    other: dict[str, Any]
    input: Any = None  # as the user passed it (content capture on)
    instructions: str | None = None
    response: Any = None  # the SDK's Response
    usage: Any = None
    status: str | None = None
    responded: bool = False


# Response.status / incomplete_details.reason -> the conventions' finish reason
_FINISH = {"completed": "stop", "failed": "error", "cancelled": "cancelled"}
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _item_parts(item: Any) -> tuple[str, list[Part]]:
    """(role, parts) of one input or output item."""
    kind = r.get(item, "type")
    if kind == "function_call":
        return "assistant", [{
            "type": "tool_call", "id": r.get(item, "call_id"), "name": r.get(item, "name"),
            "arguments": r.parse_arguments(r.get(item, "arguments")),
        }]  # fmt: skip
    if kind == "function_call_output":
        return "tool", [{"type": "tool_call_response", "id": r.get(item, "call_id"),
                         "response": r.get(item, "output")}]  # fmt: skip
    if kind == "reasoning":
        texts = [r.get(s, "text") for s in r.get(item, "summary") or ()]
        return "assistant", [{"type": "reasoning", "content": t} for t in texts if t]
    if kind in (None, "message"):
        parts = r.content_parts(r.get(item, "content"))
        return str(r.get(item, "role") or "user"), parts
    return "assistant", [{"type": str(kind)}]  # a built-in tool call (web search, ...)


def input_messages(items: Any) -> list[Message]:
    """``input`` (a string or a list of items) as messages."""
    if isinstance(items, str):
        return [{"role": "user", "parts": [{"type": "text", "content": items}]}]
    out: list[Message] = []
    for item in items:
        role, parts = _item_parts(item)
        out.append({"role": role, "parts": parts})
    return out


def _output_message(output: Any, finish_reason: str) -> Message:
    """Every output item's parts, in order, as one assistant message."""
    parts: list[Part] = []
    for item in output or ():
        parts.extend(_item_parts(item)[1])
    return {"role": "assistant", "parts": parts, "finish_reason": finish_reason}


def _finish_reason(response: Any) -> str:
    status = r.get(response, "status")
    if status == "incomplete":
        reason = r.get(r.get(response, "incomplete_details"), "reason")
        return _INCOMPLETE.get(reason, str(reason or "incomplete"))
    if status == "completed" and any(
        r.get(item, "type") == "function_call" for item in r.get(response, "output") or ()
    ):
        return "tool_call"
    return _FINISH.get(status, str(status or ""))


def record_response(call: LLMCall, response: Any) -> None:
    """Record a Response (a result, or the one a stream completed with)."""
    call.response_id = r.get(response, "id") or None
    model = r.get(response, "model")
    if isinstance(model, str) and model:
        call.response_model = model
    reason = _finish_reason(response)
    call.finish_reasons = [reason] if reason else None
    usage = r.get(response, "usage")
    r.read_usage(call, usage)
    if call.content:
        call.output_messages = [_output_message(r.get(response, "output"), reason)]
    export: ResponsesExport = call.export
    export.response = response
    export.usage = usage
    export.status = r.get(response, "status")
    export.responded = True


@dataclass
class ResponseStreamAccumulator:
    """Folds stream events: the final ``response`` of ``response.completed`` (or
    ``.incomplete`` / ``.failed``) is recorded like a non-stream result; a stream
    that stops before it keeps the id, model and the text deltas seen."""

    content: bool = True
    final: Any = None
    started: Any = None
    text: list[str] = field(default_factory=list)

    def add(self, event: Any) -> None:
        kind = r.get(event, "type")
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self.final = r.get(event, "response")
        elif kind == "response.created":
            self.started = r.get(event, "response")
        elif kind == "response.output_text.delta" and self.content:
            delta = r.get(event, "delta")
            if isinstance(delta, str):
                self.text.append(delta)

    def record(self, call: LLMCall) -> None:
        if self.final is not None:
            record_response(call, self.final)
            return
        if self.started is None:
            return
        call.response_id = r.get(self.started, "id") or None
        model = r.get(self.started, "model")
        if isinstance(model, str) and model:
            call.response_model = model
        if self.content and self.text:
            parts: list[Part] = [{"type": "text", "content": "".join(self.text)}]
            call.output_messages = [{"role": "assistant", "parts": parts, "finish_reason": ""}]
        call.export.responded = True
