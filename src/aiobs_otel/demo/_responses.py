"""The OpenAI Responses API dialect of the stand-in: ``POST /v1/responses``, plain
and ``stream=True`` (named server-sent events, as the API sends them).

Bodies follow the API reference field for field, so the real ``openai`` client
parses them into its own ``Response`` and stream event types.

Tool calls follow the chat dialect's rule: with function ``tools``, a
``tool_choice`` other than ``"none"`` and a last input item that is the user's
message (a plain string ``input`` counts), the output is one ``function_call``
(the tool ``tool_choice`` names, else the first whose name the user mentions,
else the first). Once the last item is a ``function_call_output``, the output is
a text message that uses it: the usual agent loop. Reasoning models (o-series,
gpt-5) put a ``reasoning`` item first, with a summary when ``reasoning.summary``
asks for one. ``max_output_tokens`` cuts the text: status ``incomplete``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from . import _openai, _text
from ._reply import Ids, Reply, injected_status

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def _missing(param: str) -> Reply:
    message = f"Missing required parameter: '{param}'."
    return _openai.error(400, message, param=param, code="missing_required_parameter")


def _item_text(item: Any) -> str:
    """Everything the model reads in one input item: message text, a tool call's
    arguments, a tool's output."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return ""
    kind = item.get("type")
    if kind == "function_call":
        return f"{item.get('name', '')} {item.get('arguments', '')}"
    if kind == "function_call_output":
        output = item.get("output")
        return output if isinstance(output, str) else _text.text_of(output)
    return _text.text_of(item.get("content"))


def _is_user_message(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("type", "message") == "message"
        and (item.get("role") == "user")
    )


def _chosen_tool(body: dict[str, Any], items: list[Any]) -> dict[str, Any] | None:
    """The function to call, by the rule in the module docstring (chat's rule:
    ``_openai._chosen_tool``, with the Responses API's flat tool shape)."""
    tools = [
        t for t in body.get("tools") or [] if isinstance(t, dict) and t.get("type") == "function"
    ]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none" or not _is_user_message(items[-1]):
        return None
    if isinstance(choice, dict):
        wanted = choice.get("name")
        return next((t for t in tools if t.get("name") == wanted), None)
    said = _text.text_of(items[-1].get("content")).lower()
    return next((t for t in tools if str(t.get("name", "")).lower() in said), tools[0])


def _answer(items: list[Any], model: str) -> str:
    """The stand-in's text: an answer to the last user message that quotes the
    tool outputs given after it (what a model does once its tools have run)."""
    last_user = max((i for i, item in enumerate(items) if _is_user_message(item)), default=-1)
    question = _item_text(items[last_user]) if last_user >= 0 else _item_text(items[-1])
    outputs = [
        _item_text(item)
        for item in items[last_user + 1 :]
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
    text = _text.reply_for(question, model)
    if outputs:
        text += " The tool said: " + "; ".join(outputs) + "."
    return text


def _usage(prompt: int, completion: int, model: str) -> dict[str, Any]:
    chat = _openai.usage(prompt, completion, model)  # the same accounting as chat
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": chat["prompt_tokens_details"]["cached_tokens"]},
        "output_tokens": completion,
        "output_tokens_details": {
            "reasoning_tokens": chat["completion_tokens_details"]["reasoning_tokens"]
        },
        "total_tokens": prompt + completion,
    }


def responses(body: dict[str, Any], ids: Ids) -> Reply:
    model = str(body.get("model", ""))
    status = injected_status(model)
    if status is not None:
        return _openai.error(status, f"Injected error {status} for model '{model}' (stand-in).")
    if not model:
        return _missing("model")
    raw = body.get("input")
    if isinstance(raw, str):
        raw = [{"type": "message", "role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw:
        return _missing("input")
    items: list[Any] = raw
    instructions = body.get("instructions")
    prompt = " ".join(_item_text(item) for item in items)
    if isinstance(instructions, str):
        prompt = f"{instructions} {prompt}"
    tool = _chosen_tool(body, items)
    text, cut = _text.truncate_words(_answer(items, model), body.get("max_output_tokens"))
    output: list[dict[str, Any]] = []
    if model.startswith(_REASONING_PREFIXES):
        summary = []
        if (body.get("reasoning") or {}).get("summary") in ("auto", "concise", "detailed"):
            topic = " ".join(_item_text(items[-1]).split()[:12])
            summary = [{"type": "summary_text", "text": f"The request is about '{topic}'."}]
        output.append({"id": ids.next("rs"), "type": "reasoning", "summary": summary})
    if tool is not None:
        arguments = json.dumps(_text.args_for(tool.get("parameters"), _item_text(items[-1])))
        output.append({
            "id": ids.next("fc"), "type": "function_call", "status": "completed",
            "arguments": arguments, "call_id": ids.next("call"), "name": tool.get("name"),
        })  # fmt: skip
        completion = _text.count_tokens(arguments)
        cut = False
    else:
        output.append({
            "id": ids.next("msg"), "type": "message", "role": "assistant",
            "status": "incomplete" if cut else "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        })  # fmt: skip
        completion = _text.count_tokens(text)
    final = _response(body, ids.next("resp"), model, output, instructions)
    final["status"] = "incomplete" if cut else "completed"
    final["incomplete_details"] = {"reason": "max_output_tokens"} if cut else None
    final["usage"] = _usage(_text.count_tokens(prompt), completion, model)
    if body.get("stream"):
        return Reply(events=_events(final), content_type="text/event-stream", named_events=True)
    return Reply(body=final)


def _response(
    body: dict[str, Any], response_id: str, model: str, output: list[Any], instructions: Any
) -> dict[str, Any]:
    tools = [{"strict": True, **t} if t.get("type") == "function" else t
             for t in body.get("tools") or [] if isinstance(t, dict)]  # fmt: skip
    reasoning = body.get("reasoning") or {}
    return {
        "id": response_id, "object": "response", "created_at": int(time.time()),
        "status": "completed", "error": None, "incomplete_details": None,
        "instructions": instructions, "max_output_tokens": body.get("max_output_tokens"),
        "model": model, "output": output, "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "service_tier": "default", "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"), "tools": tools,
        "top_p": body.get("top_p", 1.0), "truncation": "disabled", "usage": None,
        "user": body.get("user"), "metadata": body.get("metadata") or {},
    }  # fmt: skip


def _events(final: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The stream of one response: created, in_progress, each output item added,
    filled by deltas and done, then completed (or incomplete), numbered."""
    started = {**final, "status": "in_progress", "output": [], "usage": None,
               "incomplete_details": None}  # fmt: skip
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(final["output"]):
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "function_call":
            arguments = item["arguments"]
            added = {**item, "status": "in_progress", "arguments": ""}
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": added})  # fmt: skip
            events.extend(
                {"type": "response.function_call_arguments.delta", **where, "delta": piece}
                for piece in _text.split_words(arguments)
            )
            events.append(
                {"type": "response.function_call_arguments.done", **where, "arguments": arguments}
            )
        elif item["type"] == "message":
            text = item["content"][0]["text"]
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            at = {**where, "content_index": 0}
            events += [
                {"type": "response.output_item.added", "output_index": index,
                 "item": {**item, "status": "in_progress", "content": []}},
                {"type": "response.content_part.added", **at, "part": part},
            ]  # fmt: skip
            events.extend(
                {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
                for piece in _text.split_words(text)
            )
            events += [
                {"type": "response.output_text.done", **at, "text": text, "logprobs": []},
                {"type": "response.content_part.done", **at, "part": {**part, "text": text}},
            ]
        else:
            events.append({"type": "response.output_item.added", "output_index": index,
                           "item": item})  # fmt: skip
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    kind = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    events.append({"type": kind, "response": final})
    for number, event in enumerate(events):
        yield {**event, "sequence_number": number}
