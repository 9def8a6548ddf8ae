"""The OpenAI dialect of the stand-in: chat completions (plain and streamed) and embeddings.

Bodies follow the OpenAI REST reference field for field, so the real ``openai``
client parses them into its own types.

Tool calls: when the request has ``tools``, ``tool_choice`` is not ``"none"`` and
the last message is from the user, the answer is a call of one tool (the one
``tool_choice`` names, else the first whose name the user's message mentions,
else the first), with arguments that fill the tool's required parameters. Once
the last message is a ``tool`` result, the answer is text again: the usual loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from . import _text
from ._reply import Ids, Reply, injected_status

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_EMBEDDING_DIMENSIONS = {"text-embedding-3-large": 3072}
_DEFAULT_EMBEDDING_DIMENSIONS = 1536

_ERROR_KINDS = {
    400: ("invalid_request_error", "invalid_value"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def error(status: int, message: str, *, param: str | None = None, code: str | None = None) -> Reply:
    kind, default_code = _ERROR_KINDS.get(status, ("server_error", None))
    body = {"error": {"message": message, "type": kind, "param": param,
                      "code": code or default_code}}  # fmt: skip
    return Reply(status=status, body=body)


def usage(prompt: int, completion: int, model: str) -> dict[str, Any]:
    reasoning = min(completion, 8) if model.startswith(_REASONING_PREFIXES) else 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        # Half the prompt "cached" so that cache accounting is visible in every run.
        "prompt_tokens_details": {"cached_tokens": prompt // 2, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chosen_tool(body: dict[str, Any], messages: list[Any]) -> dict[str, Any] | None:
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and "function" in t]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none" or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        found: list[dict[str, Any]] = [
            t["function"] for t in tools if t["function"].get("name") == wanted
        ]
        return found[0] if found else None
    said = _text.text_of(last.get("content")).lower()
    functions: list[dict[str, Any]] = [t["function"] for t in tools]
    named = [f for f in functions if str(f.get("name", "")).lower() in said]
    return named[0] if named else functions[0]


def chat_completions(body: dict[str, Any], ids: Ids) -> Reply:
    model = str(body.get("model", ""))
    status = injected_status(model)
    if status is not None:
        return error(status, f"Injected error {status} for model '{model}' (stand-in).")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error(400, "'messages' must be a non-empty array.")
    prompt_text = " ".join(_text.text_of(m.get("content")) for m in messages if isinstance(m, dict))
    last_text = _text.text_of(messages[-1].get("content")) if isinstance(messages[-1], dict) else ""
    prompt_tokens = _text.count_tokens(prompt_text)
    tool = _chosen_tool(body, messages)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    text, cut = _text.truncate_words(_text.reply_for(last_text, model), limit)
    n = int(body.get("n") or 1)
    completion_id = ids.next("chatcmpl")
    created = int(time.time())
    call = None
    if tool is not None:
        arguments = json.dumps(_text.args_for(tool.get("parameters"), last_text))
        call = {"name": tool.get("name"), "arguments": arguments}
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = _stream(
            completion_id, created, model, n, text, cut, call, include_usage, prompt_tokens, ids
        )
        return Reply(events=events, content_type="text/event-stream")
    choices = []
    for index in range(n):
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if call is not None:
            message["tool_calls"] = [
                {"id": ids.next("call"), "type": "function", "function": dict(call)}
            ]
            finish = "tool_calls"
        else:
            message["content"] = text
            finish = "length" if cut else "stop"
        message["annotations"] = []
        choices.append(
            {"index": index, "message": message, "logprobs": None, "finish_reason": finish}
        )
    completion = _completion_tokens(text, call) * n
    return Reply(
        body={
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": choices,
            "usage": usage(prompt_tokens, completion, model),
            "service_tier": "default",
            "system_fingerprint": "fp_standin",
        }
    )


def _completion_tokens(text: str, call: dict[str, Any] | None) -> int:
    return _text.count_tokens(call["arguments"] if call else text)


def _stream(
    completion_id: str,
    created: int,
    model: str,
    n: int,
    text: str,
    cut: bool,
    call: dict[str, Any] | None,
    include_usage: bool,
    prompt_tokens: int,
    ids: Ids,
) -> Iterator[Any]:
    def chunk(choices: list[Any], usage: Any = None) -> dict[str, Any]:
        out = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_standin",
            "choices": choices,
        }
        if include_usage:
            out["usage"] = usage  # null on every chunk but the last, as OpenAI sends
        return out

    def delta(index: int, content: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": index, "delta": content, "logprobs": None, "finish_reason": finish}

    for index in range(n):
        yield chunk([delta(index, {"role": "assistant", "content": "", "refusal": None})])
    for index in range(n):
        if call is not None:
            head = {"index": 0, "id": ids.next("call"), "type": "function"}
            head["function"] = {"name": call["name"], "arguments": ""}
            yield chunk([delta(index, {"tool_calls": [head]})])
            for piece in _text.split_words(call["arguments"]):
                part = {"index": 0, "function": {"arguments": piece}}
                yield chunk([delta(index, {"tool_calls": [part]})])
        else:
            for piece in _text.split_words(text):
                yield chunk([delta(index, {"content": piece})])
    finish = "tool_calls" if call is not None else ("length" if cut else "stop")
    for index in range(n):
        yield chunk([delta(index, {}, finish)])
    if include_usage:
        completion = _completion_tokens(text, call) * n
        yield chunk([], usage(prompt_tokens, completion, model))
    yield "[DONE]"


def embeddings(body: dict[str, Any]) -> Reply:
    model = str(body.get("model", ""))
    status = injected_status(model)
    if status is not None:
        return error(status, f"Injected error {status} for model '{model}' (stand-in).")
    raw = body.get("input")
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs: list[Any] = [raw]
    elif isinstance(raw, list) and raw:
        inputs = raw
    else:
        return error(400, "'input' must be a non-empty string or array.")
    dimensions = body.get("dimensions") or _EMBEDDING_DIMENSIONS.get(
        model, _DEFAULT_EMBEDDING_DIMENSIONS
    )
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    tokens = 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else json.dumps(item)
        tokens += len(item) if isinstance(item, list) else _text.count_tokens(text)
        values = _text.vector(text, int(dimensions))
        encoded: Any = _text.floats_to_base64(values) if as_base64 else values
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return Reply(
        body={
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
