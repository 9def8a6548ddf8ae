"""Gemini ``embed_content`` (google-genai), sync and async.

    from aiobs_otel.instrumentors import GenAIEmbedContentInstrumentor

    GenAIEmbedContentInstrumentor().instrument()

One CLIENT span ``embeddings {model}`` per call (the conventions' operation):
the requested dimensionality, the vectors' dimension count and, where the API
reports them (Vertex AI), the token counts. In the JSON export: api
``models.embed_content``, shaped like the OpenAI embeddings event (inputs,
``response.data[i].embedding``, dimensions and usage in google-genai's keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ... import attributes as A
from ...values import dumps, to_jsonable
from ..base import ProviderInstrumentor, Target
from ..common import embeddings_response
from ..config import export_vectors
from ..lifecycle import Adapter, ProviderCall
from ..record import ApiSpec, LLMCall, as_int
from . import reader as g

_MODULE = "google.genai.models"


@dataclass(slots=True)
class EmbedExport:
    config: Any
    contents: Any = None
    embeddings: list[Any] | None = None  # the SDK's ContentEmbedding objects
    usage: dict[str, Any] | None = None
    responded: bool = False


def embed_event(call: LLMCall) -> dict[str, Any]:
    export: EmbedExport = call.export
    config = g.export_dump(export.config) if export.config is not None else None
    dimensions = config.pop("output_dimensionality", None) if isinstance(config, dict) else None
    request = {
        "model": call.request_model,
        "input": g.export_dump(export.contents) if call.content else None,
        "encoding_format": None,
        "dimensions": dimensions,
        "user": None,
        "other": {"config": config} if config else {},
    }
    if not export.responded:
        return {"request": request, "response": None}
    vectors = None
    if export.embeddings is not None:
        vectors = [v for e in export.embeddings if isinstance(v := g.field(e, "values"), list)]
    response = embeddings_response(
        call, vectors=vectors, usage=export.usage,
        model=call.response_model or call.request_model, object_type="list",
    )  # fmt: skip
    return {"request": request, "response": response}


API = ApiSpec(
    name="models.embed_content", event_provider="gemini", operation="embeddings",
    event=embed_event,
)  # fmt: skip


class EmbedContentAdapter:
    api = API

    def __init__(self, *, export_vectors: bool = True) -> None:
        self.export_vectors = export_vectors

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        g.read_client(call, instance, kwargs.get("model"))
        config = kwargs.get("config")
        dimensions = as_int(g.field(config, "output_dimensionality"))
        if dimensions is not None:
            call.extra_attributes[A.AIOBS_REQUEST_EXTRA] = dumps({"dimensions": dimensions})
        call.export = EmbedExport(config=config)

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        contents = kwargs.get("contents")
        call.export.contents = list(contents) if isinstance(contents, list) else contents
        extra: dict[str, Any] = {"input": to_jsonable(g.export_dump(contents))}
        dimensions = as_int(g.field(kwargs.get("config"), "output_dimensionality"))
        if dimensions is not None:
            extra["dimensions"] = dimensions
        call.extra_attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)

    def stream(self, result: Any, call: LLMCall) -> None:
        return None

    def response(self, call: ProviderCall, result: Any) -> None:
        record = call.record
        embeddings = list(g.field(result, "embeddings") or [])
        first = g.field(embeddings[0], "values") if embeddings else None
        record.embedding_dimensions = len(first) if isinstance(first, list) else None
        tokens = [
            g.field(g.field(e, "statistics"), "token_count") for e in embeddings
        ]  # Vertex AI's :predict reports them per vector, the Developer API not at all
        counted = [int(t) for t in tokens if isinstance(t, (int, float))]
        if not counted:  # Vertex AI's embedContent methods (Gemini models) report usage_metadata
            prompt = g.field(g.field(result, "usage_metadata"), "prompt_token_count")
            counted = [int(prompt)] if isinstance(prompt, (int, float)) else []
        usage: dict[str, Any] = {}
        if counted:
            usage["token_count"] = sum(counted)
            record.set_usage(sum(counted), None)
        billable = g.field(g.field(result, "metadata"), "billable_character_count")
        if billable is not None:
            usage["billable_character_count"] = billable
        export: EmbedExport = record.export
        export.responded = True
        export.usage = usage or None
        if self.export_vectors and record.content:
            export.embeddings = embeddings
        record.extra_attributes[A.AIOBS_RESPONSE_EXTRA] = dumps({"count": len(embeddings)})

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


class GenAIEmbedContentInstrumentor(ProviderInstrumentor):
    """Traces ``Models`` / ``AsyncModels`` ``.embed_content`` of google-genai.

    ``instrument(export_embedding_vectors=False)`` (or
    ``AIOBS_EXPORT_EMBEDDINGS=false``) leaves the vectors out of the JSON export.
    """

    scope = "aiobs_otel.genai"
    instruments = g.INSTRUMENTS
    sdk_packages = g.SDK_PACKAGES
    targets = (
        Target(_MODULE, "Models.embed_content"),
        Target(_MODULE, "AsyncModels.embed_content", is_async=True),
    )
    _export_vectors = True

    def _instrument(self, **kwargs: Any) -> None:
        self._export_vectors = export_vectors(kwargs.get("export_embedding_vectors"))
        super()._instrument(**kwargs)

    def adapter(self) -> Adapter:
        return EmbedContentAdapter(export_vectors=self._export_vectors)
