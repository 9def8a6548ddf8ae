"""The one place where a finished ``LLMCall`` becomes OpenTelemetry data:
span attributes, the GenAI metrics, and the content event.

    start_attributes(call)  at span start: what samplers and metrics need
    end_attributes(call)    at span end: response, usage, content (by mode)
    metric_attributes(call) the conventions' metric attributes
    details_event(call)     gen_ai.client.inference.operation.details (event modes)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from ..cost import cost_attributes
from ..outgoing import encodable_attributes
from ..redaction import scrub
from ..values import dumps
from .record import LLMCall

# record field -> request attribute
_REQUEST_FIELDS = (
    ("temperature", A.GEN_AI_REQUEST_TEMPERATURE),
    ("max_tokens", A.GEN_AI_REQUEST_MAX_TOKENS),
    ("top_p", A.GEN_AI_REQUEST_TOP_P),
    ("top_k", A.GEN_AI_REQUEST_TOP_K),
    ("frequency_penalty", A.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", A.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("stop_sequences", A.GEN_AI_REQUEST_STOP_SEQUENCES),
    ("seed", A.GEN_AI_REQUEST_SEED),
    ("stream", A.GEN_AI_REQUEST_STREAM),
    ("choice_count", A.GEN_AI_REQUEST_CHOICE_COUNT),
    ("encoding_formats", A.GEN_AI_REQUEST_ENCODING_FORMATS),
    ("output_type", A.GEN_AI_OUTPUT_TYPE),
)
_RESPONSE_FIELDS = (
    ("response_id", A.GEN_AI_RESPONSE_ID),
    ("response_model", A.GEN_AI_RESPONSE_MODEL),
    ("finish_reasons", A.GEN_AI_RESPONSE_FINISH_REASONS),
    ("input_tokens", A.GEN_AI_USAGE_INPUT_TOKENS),
    ("output_tokens", A.GEN_AI_USAGE_OUTPUT_TOKENS),
    ("cache_read_input_tokens", A.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
    ("reasoning_output_tokens", A.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
    ("embedding_dimensions", A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    ("time_to_first_chunk", A.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK),
    ("error_type", A.ERROR_TYPE),
)
_CONTENT_FIELDS = (
    ("system_instructions", A.GEN_AI_SYSTEM_INSTRUCTIONS),
    ("input_messages", A.GEN_AI_INPUT_MESSAGES),
    ("output_messages", A.GEN_AI_OUTPUT_MESSAGES),
    ("tool_definitions", A.GEN_AI_TOOL_DEFINITIONS),
)
DETAILS_EVENT = "gen_ai.client.inference.operation.details"


def start_attributes(call: LLMCall) -> dict[str, Any]:
    """Operation, provider, model, server, request parameters, API, callsite."""
    out: dict[str, Any] = {
        A.GEN_AI_OPERATION_NAME: call.api.operation,
        A.GEN_AI_PROVIDER_NAME: call.provider,
        A.AIOBS_API: call.api.name,
    }
    if call.request_model:
        out[A.GEN_AI_REQUEST_MODEL] = call.request_model
    if call.server_address:
        out[A.SERVER_ADDRESS] = call.server_address
        if call.server_port:
            out[A.SERVER_PORT] = call.server_port
    for name, key in _REQUEST_FIELDS:
        value = getattr(call, name)
        if value is not None:
            out[key] = value
    if call.callsite is not None:
        path, line, function = call.callsite
        out[A.CODE_FILE_PATH] = path
        out[A.CODE_LINE_NUMBER] = line
        out[A.CODE_FUNCTION_NAME] = function
    return out


def end_attributes(call: LLMCall, *, content_on_span: bool) -> dict[str, Any]:
    """Response, usage and (``content_on_span``) the content attributes."""
    out: dict[str, Any] = {}
    for name, key in _RESPONSE_FIELDS:
        value = getattr(call, name)
        if value is not None:
            out[key] = value
    if call.cost is not None:
        out.update(cost_attributes(call.cost))
    if call.stream:  # known only once the result turned out to be a stream
        out[A.GEN_AI_REQUEST_STREAM] = True
    if call.extra_attributes:
        out.update(call.extra_attributes)
    if content_on_span and call.content:
        out.update(content_attributes(call))
    return out


def content_attributes(call: LLMCall) -> dict[str, str]:
    """The conventions' content attributes, as JSON strings (secrets scrubbed)."""
    out: dict[str, str] = {}
    for name, key in _CONTENT_FIELDS:
        value = getattr(call, name)
        if value:
            text = dumps(value)
            out[key] = scrub(text, call.secrets) if call.secrets else text
    return out


def metric_attributes(call: LLMCall) -> Mapping[str, Any]:
    out: dict[str, Any] = {
        A.GEN_AI_OPERATION_NAME: call.api.operation,
        A.GEN_AI_PROVIDER_NAME: call.provider,
    }
    if call.request_model:
        out[A.GEN_AI_REQUEST_MODEL] = call.request_model
    if call.server_address:
        out[A.SERVER_ADDRESS] = call.server_address
        if call.server_port:
            out[A.SERVER_PORT] = call.server_port
    if call.response_model:
        out[A.GEN_AI_RESPONSE_MODEL] = call.response_model
    if call.error_type:
        out[A.ERROR_TYPE] = call.error_type
    return encodable_attributes(out)  # a lone surrogate would lose the metrics batch


def details_event(call: LLMCall) -> dict[str, Any]:
    """Attributes of the ``gen_ai.client.inference.operation.details`` event:
    the call's attributes with its content as structured values."""
    out = start_attributes(call)
    out.update(end_attributes(call, content_on_span=False))
    for name, key in _CONTENT_FIELDS:
        value = getattr(call, name)
        if value:
            text = dumps(value)
            if call.secrets:
                text = scrub(text, call.secrets)
            out[key] = json.loads(text)
    return out
