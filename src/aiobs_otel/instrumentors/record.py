"""The typed record of one LLM API call, filled by the API's adapter.

An adapter reads the SDK's request and response into ``LLMCall``'s fields;
``semconv`` is the one place that maps a finished call to span attributes,
metrics and the content event, and the API's ``ApiSpec.event`` maps it to the
aiobs event of the JSON export. Messages are in the GenAI conventions' form:
``{"role", "parts": [{"type": "text", "content": ...}, ...]}``; media is never
held as bytes, only as ``{"type": "blob", "mime_type", "size"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..cost import Cost, cost_event_field
from ..records import SpanFacts
from ..redaction import scrub_value

Part = dict[str, Any]
"""A message part: ``{"type": "text" | "reasoning" | "tool_call" |
"tool_call_response" | "blob" | "uri" | ..., ...}``."""

Message = dict[str, Any]
"""``{"role": str, "parts": list[Part]}`` (+ ``finish_reason`` on outputs, ``name``)."""

EventShape = Callable[["LLMCall"], dict[str, Any]]
"""An API's aiobs event: ``{"request": {...}, "response": {...} | None}``."""


@dataclass(frozen=True)
class ApiSpec:
    """One traced API: its names in the export and on spans.

    ``name`` is the aiobs event's ``api`` (``chat.completions.create``) and
    the span attribute ``aiobs.api``; ``event_provider`` is the event's
    ``provider`` (``openai``, ``gemini``); ``operation`` is
    ``gen_ai.operation.name``; ``event`` builds the event's request/response.
    """

    name: str
    event_provider: str
    operation: str
    event: EventShape


@dataclass(slots=True, eq=False)
class LLMCall:
    """What one provider call did (see the module doc). Fields an API does not
    have stay None."""

    api: ApiSpec
    provider: str  # gen_ai.provider.name
    request_model: str | None = None
    server_address: str | None = None
    server_port: int | None = None
    # request parameters (gen_ai.request.*)
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop_sequences: list[str] | None = None
    seed: int | None = None
    stream: bool | None = None
    choice_count: int | None = None
    encoding_formats: list[str] | None = None
    output_type: str | None = None
    # content (only when content capture is on and the span records)
    content: bool = False
    system_instructions: list[Part] | None = None
    input_messages: list[Message] | None = None
    tool_definitions: list[dict[str, Any]] | None = None
    output_messages: list[Message] | None = None
    # response
    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    reasoning_output_tokens: int | None = None
    embedding_dimensions: int | None = None
    cost: Cost | None = None  # from the usage and genai-prices' table (see lifecycle)
    # streams: seconds to the first chunk, and between later chunks
    time_to_first_chunk: float | None = None
    chunk_gaps: list[float] | None = None
    # outcome
    error_type: str | None = None
    error: str | None = None  # "ExcType: message", secrets scrubbed
    # span attributes only this API has (JSON strings), e.g. the Veo request
    extra_attributes: dict[str, Any] = field(default_factory=dict)
    # what only the API's aiobs event needs (raw request pieces, the SDK's usage...)
    export: Any = None
    # secret values the client holds: scrubbed from every recorded string
    secrets: tuple[str, ...] = ()
    callsite: tuple[str | None, int | None, str | None] | None = None
    facts: SpanFacts | None = None
    completes_span_id: int | None = None  # this span reports the end of that one (Veo)

    is_function = False

    @property
    def operation(self) -> str:
        return self.api.operation

    def set_usage(
        self,
        input_tokens: Any,
        output_tokens: Any,
        cache_read: Any = None,
        reasoning: Any = None,
    ) -> None:
        """Token counts as reported (anything that is not an int is left out)."""
        self.input_tokens = as_int(input_tokens)
        self.output_tokens = as_int(output_tokens)
        self.cache_read_input_tokens = as_int(cache_read)
        self.reasoning_output_tokens = as_int(reasoning)

    def event_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"provider": self.api.event_provider, "api": self.api.name}
        event = self.api.event(self)
        if self.secrets:  # a reply that quotes the key: the export never holds it
            event = scrub_value(event, self.secrets)
        fields.update(event)
        fields["cost"] = cost_event_field(self.cost)  # added to aiobs's event
        return fields


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def text_of(message: Message | None) -> str | None:
    """The text parts of a message joined (reasoning left out), or None."""
    if not message:
        return None
    texts = [p["content"] for p in message.get("parts", ()) if p.get("type") == "text"]
    return "".join(t for t in texts if isinstance(t, str)) if texts else None
