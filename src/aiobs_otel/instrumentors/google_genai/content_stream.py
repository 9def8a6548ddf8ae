"""A generate_content response, from a result or from a stream's chunks."""

from __future__ import annotations

from typing import Any

from ..record import LLMCall, Message
from . import reader as g


def record_response(call: LLMCall, response: Any) -> None:
    """Id, model, usage, finish reasons and (content on) the candidates' messages."""
    reasons = [r for c in g.field(response, "candidates") or () if (r := g.finish_reason(c))]
    _summary(call, g.field(response, "usage_metadata"), g.field(response, "response_id"),
             g.field(response, "model_version"))  # fmt: skip
    call.finish_reasons = reasons or None
    if call.content:
        call.output_messages = g.output_messages(response) or None


def _summary(call: LLMCall, usage: Any, response_id: Any, model: Any) -> None:
    call.response_id = response_id if isinstance(response_id, str) and response_id else None
    if isinstance(model, str) and model:
        call.response_model = model
    export = call.export
    if usage is not None:
        call.set_usage(
            g.field(usage, "prompt_token_count"),
            g.field(usage, "candidates_token_count"),
            g.field(usage, "cached_content_token_count"),
            g.field(usage, "thoughts_token_count"),
        )
        export.usage = usage
    export.responded = True


class ContentChunks:
    """Folds a stream's chunks as they arrive: the first id and model, the last
    usage, finish reasons per candidate and, with ``content``, the candidates'
    parts (adjacent text joined)."""

    def __init__(self, content: bool = True) -> None:
        self.content = content
        self.count = 0
        self.first: Any = None  # a lone chunk is recorded like a response
        self.usage: Any = None
        self.response_id: Any = None
        self.model: Any = None
        self.reasons: dict[int, str] = {}
        self.merged: dict[int, Message] = {}

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

    def record(self, call: LLMCall) -> None:
        call.stream = True
        if not self.count:
            return
        _summary(call, self.usage, self.response_id, self.model)
        if not self.content:
            call.finish_reasons = [self.reasons[k] for k in sorted(self.reasons)] or None
            return
        if self.first is not None:
            messages = g.output_messages(self.first)
        else:
            messages = [self.merged[k] for k in sorted(self.merged)]
        call.finish_reasons = [m["finish_reason"] for m in messages if m.get("finish_reason")]
        call.finish_reasons = call.finish_reasons or None
        call.output_messages = messages or None


def _candidate_key(candidate: Any, position: int) -> int:
    index = g.field(candidate, "index")
    return index if isinstance(index, int) else position


def _merge(merged: dict[int, Message], chunk: Any) -> None:
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


def candidates_from_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Candidates in google-genai's shape, rebuilt from a stream's merged messages."""
    out = []
    for index, message in enumerate(messages):
        parts = [_sdk_part(p) for p in message.get("parts", ())]
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": index}
        if message.get("finish_reason"):
            candidate["finish_reason"] = str(message["finish_reason"]).upper()
        out.append(candidate)
    return out


def _sdk_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"text": part.get("content")}
    if kind == "reasoning":
        return {"text": part.get("content"), "thought": True}
    if kind == "tool_call":
        call = {"name": part.get("name"), "args": part.get("arguments")}
        if part.get("id"):
            call["id"] = part["id"]
        return {"function_call": call}
    if kind == "blob":
        return {"inline_data": {"mime_type": part.get("mime_type"), "size": part.get("size")}}
    if kind == "uri":
        return {"file_data": {"mime_type": part.get("mime_type"), "file_uri": part.get("uri")}}
    return {key: value for key, value in part.items() if key != "type"}
