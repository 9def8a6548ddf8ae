"""A completed chat response, from a result or from a stream folded chunk by chunk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..record import LLMCall
from . import reader as r

try:
    from openai import AsyncStream as _AsyncStream
    from openai import Stream as _Stream

    _SDK_STREAMS: tuple[type, ...] = (_Stream, _AsyncStream)
except ImportError:  # pragma: no cover - the instrumentor only runs with openai
    _SDK_STREAMS = ()


def is_sdk_stream(result: Any) -> bool:
    return isinstance(result, _SDK_STREAMS)


@dataclass(slots=True)
class ChatExport:
    """What the aiobs event needs beyond the typed record."""

    temperature: Any
    max_tokens: Any
    other: dict[str, Any]
    messages: list[Any] | None = None  # as the user passed them (a shallow copy)
    usage: Any = None  # the SDK's usage object
    responded: bool = False


def record_completion(
    call: LLMCall, *, response_id: Any, model: Any, outputs: list[tuple[Any, Any]], usage: Any
) -> None:
    """Record a completed chat response (from a result or an assembled stream)."""
    call.response_id = response_id or None
    if isinstance(model, str) and model:
        call.response_model = model
    reasons = [str(reason or "") for _, reason in outputs]
    call.finish_reasons = reasons if any(reasons) else None
    r.read_usage(call, usage)
    if call.content and outputs:
        call.output_messages = [r.output_message(message, reason) for message, reason in outputs]
    export: ChatExport = call.export
    export.usage = usage
    export.responded = True


# What is read from every chunk, choice and delta (one read per chunk each).
_CHUNK_FIELDS = ("usage", "choices")
_CHOICE_FIELDS = ("index", "delta", "finish_reason")
_DELTA_FIELDS = ("role", "content", "refusal", "tool_calls", "function_call")


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
        role, text, refusal, tool_calls, function_call = r.get_fields(delta, _DELTA_FIELDS)
        if role:
            self.role = role
        if text:
            self.text.append(str(text))
        if refusal:
            self.refusal.append(str(refusal))
        for call in tool_calls or ():
            self._tool_call(r.get(call, "index", len(self.tool_calls)), call)
        if function_call:  # the legacy single function call
            self._tool_call(-1, {"function": function_call})

    def _tool_call(self, index: int, delta: Any) -> None:
        slot = self.tool_calls.setdefault(index, {"id": None, "name": None, "arguments": []})
        slot["id"] = r.get(delta, "id") or slot["id"]
        function = r.get(delta, "function")
        slot["name"] = r.get(function, "name") or slot["name"]
        arguments = r.get(function, "arguments")
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
            self.response_id = r.get(chunk, "id") or None
        if self.model is None:
            self.model = r.get(chunk, "model") or None
        usage, choices = r.get_fields(chunk, _CHUNK_FIELDS)
        if usage:
            self.usage = usage
        for choice in choices or ():
            index, delta, reason = r.get_fields(choice, _CHOICE_FIELDS)
            index = index or 0
            deltas = self.choices.get(index)
            if deltas is None:
                deltas = self.choices[index] = _ChoiceDeltas()
            if self.content:
                deltas.add(delta)
            if reason:
                deltas.finish_reason = reason

    def record(self, call: LLMCall) -> None:
        choices = [c for _, c in sorted(self.choices.items())]
        outputs = [(c.message() if self.content else None, c.finish_reason) for c in choices]
        record_completion(
            call, response_id=self.response_id, model=self.model, outputs=outputs, usage=self.usage
        )
