"""Gemini ``generate_content`` / ``generate_content_stream`` (google-genai), sync and async.

Usage::

    from aiobs_otel.instrumentors import GenAIGenerateContentInstrumentor

    GenAIGenerateContentInstrumentor().instrument()

In the JSON export: api ``models.generate_content`` (streams too), with
``request.contents`` and ``request.config`` as the user passed them and the
response's ``usage`` and ``candidates`` in google-genai's own keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..base import ProviderInstrumentor, Target
from ..common import listed
from ..lifecycle import Adapter, ProviderCall
from ..record import ApiSpec, LLMCall, as_int, as_number, text_of
from . import reader as g
from .content_stream import ContentChunks, candidates_from_messages, record_response

_MODULE = "google.genai.models"

# config field -> record field
_CONFIG_FIELDS = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("top_k", "top_k"),
    ("max_output_tokens", "max_tokens"),
    ("seed", "seed"),
    ("candidate_count", "choice_count"),
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
)


_INT_FIELDS = frozenset({"max_tokens", "seed", "choice_count"})


@dataclass(slots=True)
class ContentExport:
    """What the aiobs event needs beyond the typed record."""

    config: Any  # as the user passed it
    contents: Any = None  # as the user passed it (content capture on)
    responded: bool = False
    usage: Any = None  # the SDK's usage_metadata
    candidates: Any = None  # the SDK's candidates (non-stream responses)


def content_event(call: LLMCall) -> dict[str, Any]:
    """The event's request and response, in the shape aiobs writes."""
    export: ContentExport = call.export
    config = g.export_dump(export.config) if export.config is not None else None
    if isinstance(config, dict) and not call.content:
        config.pop("system_instruction", None)  # content, like the contents
    system = call.system_instructions
    request: dict[str, Any] = {
        "model": call.request_model,
        "contents": g.export_dump(export.contents) if call.content else None,
        "system_instruction": _instruction_text(system) if system else None,
        "config": config,
        "other": {},
    }
    if not export.responded:
        return {"request": request, "response": None}
    outputs = call.output_messages or []
    if not call.content:
        candidates = None
    elif export.candidates is not None:
        candidates = g.export_dump(export.candidates)
    else:
        candidates = candidates_from_messages(outputs)
    if export.candidates is not None and call.content:
        text = _first_text(export.candidates)  # whole, as the SDK's response.text
    else:
        text = text_of(outputs[0]) if outputs else None
    response = {
        "model": call.response_model,
        "usage": g.export_dump(export.usage) if export.usage is not None else None,
        "text": text,
        "candidates": candidates,
        "id": call.response_id,
        "finish_reasons": call.finish_reasons,
    }
    if call.time_to_first_chunk is not None:
        response["time_to_first_chunk"] = call.time_to_first_chunk
    return {"request": request, "response": response}


def _first_text(candidates: Any) -> str | None:
    """The first candidate's text parts joined, thoughts left out (what
    google-genai's ``response.text`` gives); None when it has no text."""
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    parts = g.field(g.field(first, "content"), "parts") or []
    texts = [g.field(p, "text") for p in parts if not g.field(p, "thought")]
    texts = [text for text in texts if isinstance(text, str)]
    return "".join(texts) if texts else None


def _instruction_text(parts: list[dict[str, Any]]) -> Any:
    if all(p.get("type") == "text" for p in parts):
        return "".join(str(p.get("content", "")) for p in parts)
    return parts


API = ApiSpec(
    name="models.generate_content", event_provider="gemini", operation="generate_content",
    event=content_event,
)  # fmt: skip


class GenerateContentAdapter:
    """Request, response and stream chunks of ``generate_content[_stream]``."""

    api = API

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        g.read_client(call, instance, kwargs.get("model"))
        config = kwargs.get("config")
        for name, slot in _CONFIG_FIELDS:
            value = as_number(g.field(config, name))
            if value is not None:
                setattr(call, slot, as_int(value) if slot in _INT_FIELDS else value)
        stops = listed(g.field(config, "stop_sequences"))
        if stops:
            call.stop_sequences = [str(s) for s in stops]
        call.export = ContentExport(config=g.snapshot(config))

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        config = kwargs.get("config")
        contents = kwargs.get("contents")
        call.input_messages = g.input_messages(contents)
        call.system_instructions = g.system_parts(g.field(config, "system_instruction")) or None
        call.tool_definitions = g.tool_definitions(g.field(config, "tools")) or None
        call.export.contents = list(contents) if isinstance(contents, list) else contents

    def stream(self, result: Any, call: LLMCall) -> ContentChunks | None:
        # Streams are generators (sync) or async generators; responses are models.
        if hasattr(result, "__next__") or hasattr(result, "__anext__"):
            return ContentChunks(call.content)
        return None

    def response(self, call: ProviderCall, result: Any) -> None:
        record = call.record
        record_response(record, result)
        export: ContentExport = record.export
        export.candidates = g.field(result, "candidates")

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


class GenAIGenerateContentInstrumentor(ProviderInstrumentor):
    """Traces ``Models`` / ``AsyncModels`` ``.generate_content`` and
    ``.generate_content_stream`` of google-genai (Developer API and Vertex AI)."""

    scope = "aiobs_otel.genai"
    instruments = g.INSTRUMENTS
    sdk_packages = g.SDK_PACKAGES
    targets = (
        Target(_MODULE, "Models.generate_content"),
        Target(_MODULE, "Models.generate_content_stream"),
        Target(_MODULE, "AsyncModels.generate_content", is_async=True),
        Target(_MODULE, "AsyncModels.generate_content_stream", is_async=True),
    )

    def adapter(self) -> Adapter:
        return GenerateContentAdapter()
