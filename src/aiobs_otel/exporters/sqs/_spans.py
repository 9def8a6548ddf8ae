"""One OpenTelemetry span as a span of llmops-observability's trace schema
(the README's "Decompressed SDK Trace Data Schema", ``spans[]``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from ... import attributes as A
from ._content import messages_text, parse_json, system_text
from ._wire import span_key

# aiobs.span.kind values that llmops names differently; the others pass through
# ("generation", "agent", "tool", "retriever", "evaluation", "transaction", ...).
_KIND_TO_TYPE = {"function": "span", "crawl": "crawl_session"}
# gen_ai.operation.name of spans that carry no aiobs.span.kind (provider calls).
_OPERATION_TO_TYPE = {
    "chat": "generation",
    "generate_content": "generation",
    "text_completion": "generation",
    "generate_videos": "generation",
    "embeddings": "embedding",
    "invoke_agent": "agent",
    "create_agent": "agent",
    "execute_tool": "tool",
}

# Attributes whose values appear in the record's own fields (or at the trace
# level), so ``metadata.attributes`` does not carry them twice.
_CONSUMED = frozenset({
    A.AIOBS_SPAN_KIND, A.AIOBS_SPAN_METADATA, A.SESSION_ID,
    A.AIOBS_FUNCTION_ARGS, A.AIOBS_FUNCTION_KWARGS, A.AIOBS_FUNCTION_LOCALS,
    A.AIOBS_FUNCTION_SELF, A.AIOBS_FUNCTION_RESULT,
    A.GEN_AI_INPUT_MESSAGES, A.GEN_AI_OUTPUT_MESSAGES, A.GEN_AI_SYSTEM_INSTRUCTIONS,
    A.GEN_AI_TOOL_DEFINITIONS, A.AIOBS_REQUEST_EXTRA, A.AIOBS_RESPONSE_EXTRA,
    A.GEN_AI_TOOL_CALL_ARGUMENTS, A.GEN_AI_TOOL_CALL_RESULT,
    A.GEN_AI_REQUEST_MODEL, A.GEN_AI_RESPONSE_MODEL,
    A.GEN_AI_USAGE_INPUT_TOKENS, A.GEN_AI_USAGE_OUTPUT_TOKENS,
    A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    A.GEN_AI_USAGE_COST_AMOUNT, A.GEN_AI_USAGE_COST_CURRENCY, A.GEN_AI_USAGE_COST_SOURCE,
    A.USER_ID, A.GEN_AI_CONVERSATION_ID, A.AIOBS_TRACE_NAME, A.AIOBS_TRACE_TAGS,
    A.AIOBS_TRACE_METADATA, A.AIOBS_TRACE_INPUT, A.AIOBS_TRACE_OUTPUT,
    # OpenInference copies of the above, for Phoenix:
    A.OPENINFERENCE_INPUT_VALUE, A.OPENINFERENCE_OUTPUT_VALUE, A.OPENINFERENCE_INPUT_MIME_TYPE,
    A.OPENINFERENCE_OUTPUT_MIME_TYPE, A.OPENINFERENCE_METADATA, A.OPENINFERENCE_TAGS,
})  # fmt: skip
_FUNCTION_INPUTS = (A.AIOBS_FUNCTION_ARGS, A.AIOBS_FUNCTION_KWARGS, A.AIOBS_FUNCTION_LOCALS)


def span_type(attributes: Mapping[str, Any]) -> str:
    kind = attributes.get(A.AIOBS_SPAN_KIND)
    if isinstance(kind, str) and kind:
        return _KIND_TO_TYPE.get(kind, kind)
    operation = attributes.get(A.GEN_AI_OPERATION_NAME)
    return _OPERATION_TO_TYPE.get(operation, "span") if isinstance(operation, str) else "span"


def hex_id(value: int) -> str:
    return format(value, "016x")


def seconds(nanoseconds: int | None) -> float | None:
    return None if nanoseconds is None else round(nanoseconds / 1e9, 6)


def span_record(
    span: ReadableSpan, attributes: Mapping[str, Any], *, environment: str, project_id: str
) -> dict[str, Any]:
    """``attributes``: the span's attributes (as a dict: they are looked up often)."""
    kind = span_type(attributes)
    context = span.get_span_context()
    trace_id = format(context.trace_id, "032x") if context else ""
    span_id = hex_id(context.span_id) if context else ""
    start, end = span.start_time or 0, span.end_time or span.start_time or 0
    error, status_message = _error(span, attributes)
    input_data, output_data = _io(attributes, kind)
    prompt, response = _prompt_response(attributes, kind, input_data, output_data)
    record: dict[str, Any] = {
        "span_id": span_id,
        "span_name": span.name,
        "span_type": kind,
        "parent_span_id": hex_id(span.parent.span_id) if span.parent else None,
        "start_time": seconds(start),
        "end_time": seconds(end),
        "duration_ms": round((end - start) / 1e6),
        "input_data": input_data,
        "output_data": output_data,
        "error": error,
        "model_id": _text(attributes, A.GEN_AI_RESPONSE_MODEL, A.GEN_AI_REQUEST_MODEL),
        "status": "error" if span.status.status_code is StatusCode.ERROR else "success",
        "status_message": status_message,
        "level": "ERROR" if span.status.status_code is StatusCode.ERROR else "DEFAULT",
        "usage": _usage(attributes),
        "cost": _cost(attributes),
        "prompt": prompt,
        "response": response,
        "metadata": _metadata(span, attributes, environment, project_id),
        "tags": [],
        "idempotency_key": span_key(trace_id, span_id),
    }
    evaluations = _evaluations(span)
    if evaluations:
        record["evaluations"] = evaluations
    return record


def _text(attributes: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _error(span: ReadableSpan, attributes: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``"ExcType: message"`` from the exception event (as aiobs writes errors),
    else the status description or ``error.type``; None for a span that succeeded."""
    description = span.status.description or None
    if span.status.status_code is not StatusCode.ERROR:
        return None, description
    for event in span.events:
        if event.name == "exception" and event.attributes:
            kind = event.attributes.get("exception.type")
            message = event.attributes.get("exception.message")
            if kind or message:
                return (f"{kind}: {message}" if kind and message else str(kind or message)), (
                    description
                )
    error_type = attributes.get(A.ERROR_TYPE)
    return description or (str(error_type) if error_type else "error"), description


def _io(attributes: Mapping[str, Any], kind: str) -> tuple[Any, Any]:
    if any(name in attributes for name in _FUNCTION_INPUTS):
        input_data: dict[str, Any] | None = {
            "args": parse_json(attributes.get(A.AIOBS_FUNCTION_ARGS)) or [],
            "kwargs": parse_json(attributes.get(A.AIOBS_FUNCTION_KWARGS)) or {},
            "locals": parse_json(attributes.get(A.AIOBS_FUNCTION_LOCALS)) or {},
        }
    else:
        input_data = _provider_input(attributes, kind)
    if A.AIOBS_FUNCTION_SELF in attributes and input_data is not None:
        input_data["self"] = parse_json(attributes[A.AIOBS_FUNCTION_SELF])
    if A.AIOBS_FUNCTION_RESULT in attributes:
        return input_data, {"output": parse_json(attributes[A.AIOBS_FUNCTION_RESULT])}
    for name in (A.GEN_AI_OUTPUT_MESSAGES, A.GEN_AI_TOOL_CALL_RESULT, A.AIOBS_RESPONSE_EXTRA):
        if name in attributes:
            return input_data, {"output": parse_json(attributes[name])}
    return input_data, None


def _provider_input(attributes: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    if A.GEN_AI_INPUT_MESSAGES in attributes:
        data["messages"] = parse_json(attributes[A.GEN_AI_INPUT_MESSAGES])
    if A.GEN_AI_SYSTEM_INSTRUCTIONS in attributes:
        data["system_instructions"] = parse_json(attributes[A.GEN_AI_SYSTEM_INSTRUCTIONS])
    if A.GEN_AI_TOOL_DEFINITIONS in attributes:
        data["tools"] = parse_json(attributes[A.GEN_AI_TOOL_DEFINITIONS])
    if A.GEN_AI_TOOL_CALL_ARGUMENTS in attributes:
        data["arguments"] = parse_json(attributes[A.GEN_AI_TOOL_CALL_ARGUMENTS])
    extra = parse_json(attributes.get(A.AIOBS_REQUEST_EXTRA))
    if isinstance(extra, dict):
        data.update({k: v for k, v in extra.items() if k not in data})
    if kind == "evaluation" and A.GEN_AI_EVALUATION_NAME in attributes:
        data["evaluation"] = _evaluation_fields(attributes)
    return data or None


def _prompt_response(
    attributes: Mapping[str, Any], kind: str, input_data: Any, output_data: Any
) -> tuple[str | None, str | None]:
    """Prompt and response text for generation spans (llmops fills them only there)."""
    if kind != "generation":
        return None, None
    messages = parse_json(attributes.get(A.GEN_AI_INPUT_MESSAGES))
    prompt = messages_text(messages, with_roles=True)
    system = system_text(parse_json(attributes.get(A.GEN_AI_SYSTEM_INSTRUCTIONS)))
    has_system = isinstance(messages, list) and any(
        isinstance(m, dict) and m.get("role") == "system" for m in messages
    )
    if system and not has_system:
        prompt = f"system: {system}\n\n{prompt}" if prompt else system
    response = messages_text(parse_json(attributes.get(A.GEN_AI_OUTPUT_MESSAGES)), with_roles=False)
    if prompt is None and isinstance(input_data, dict):  # an @observe(kind="generation")
        kwargs, args = input_data.get("kwargs"), input_data.get("args")
        if isinstance(kwargs, dict) and isinstance(kwargs.get("prompt"), str):
            prompt = kwargs["prompt"]
        elif isinstance(args, list) and args and isinstance(args[0], str):
            prompt = args[0]
    if response is None and isinstance(output_data, dict):
        output = output_data.get("output")
        response = output if isinstance(output, str) else None
    return prompt, response


def _usage(attributes: Mapping[str, Any]) -> dict[str, int] | None:
    tokens_in = attributes.get(A.GEN_AI_USAGE_INPUT_TOKENS)
    tokens_out = attributes.get(A.GEN_AI_USAGE_OUTPUT_TOKENS)
    if not isinstance(tokens_in, int) and not isinstance(tokens_out, int):
        return None
    tokens_in = tokens_in if isinstance(tokens_in, int) else 0
    tokens_out = tokens_out if isinstance(tokens_out, int) else 0
    usage = {
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }
    for name, key in (
        (A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, "cache_read_input_tokens"),
        (A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, "reasoning_output_tokens"),
    ):
        value = attributes.get(name)
        if isinstance(value, int):
            usage[key] = value
    return usage


def _cost(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
    amount = attributes.get(A.GEN_AI_USAGE_COST_AMOUNT)
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        return None
    cost: dict[str, Any] = {
        "total_cost": float(amount),
        "currency": _text(attributes, A.GEN_AI_USAGE_COST_CURRENCY) or "USD",
    }
    source = _text(attributes, A.GEN_AI_USAGE_COST_SOURCE)
    if source:
        cost["source"] = source
    return cost


def _metadata(
    span: ReadableSpan, attributes: Mapping[str, Any], environment: str, project_id: str
) -> dict[str, Any]:
    own = parse_json(attributes.get(A.AIOBS_SPAN_METADATA))
    metadata: dict[str, Any] = dict(own) if isinstance(own, dict) else {}
    # Auto-injected, as in llmops: every span carries its trace's environment and project.
    metadata["environment"] = environment
    metadata["project_id"] = project_id
    metadata["span_kind"] = span.kind.name.lower()
    if span.instrumentation_scope is not None:
        metadata["instrumentation_scope"] = span.instrumentation_scope.name
    if span.kind is SpanKind.CLIENT and (
        "http.request.method" in attributes or "http.method" in attributes
    ):
        metadata["outbound_http"] = True
    rest = {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in attributes.items()
        if key not in _CONSUMED and not key.startswith(A.AIOBS_LABEL_PREFIX)
    }
    if rest:
        metadata["attributes"] = rest
    return metadata


def _evaluation_fields(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": attributes.get(A.GEN_AI_EVALUATION_NAME),
        "score": attributes.get(A.GEN_AI_EVALUATION_SCORE_VALUE),
        "label": attributes.get(A.GEN_AI_EVALUATION_SCORE_LABEL),
        "rationale": attributes.get(A.GEN_AI_EVALUATION_EXPLANATION),
    }


def _evaluations(span: ReadableSpan) -> list[dict[str, Any]]:
    """The ``gen_ai.evaluation.result`` events recorded on the span."""
    return [
        _evaluation_fields(event.attributes or {})
        for event in span.events
        if event.name == A.GEN_AI_EVALUATION_RESULT_EVENT
    ]
