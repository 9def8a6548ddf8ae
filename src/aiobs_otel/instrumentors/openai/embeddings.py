"""OpenAI embeddings: ``Embeddings.create`` / ``AsyncEmbeddings.create``.

    OpenAIEmbeddingsInstrumentor().instrument(capture_embedding_vectors=True)

The inputs are recorded when content is captured. The vectors are large: on
spans only with ``capture_embedding_vectors=True`` (in ``aiobs.response.extra``);
in the JSON export at ``response.data[i].embedding``, as aiobs records them,
unless ``AIOBS_EXPORT_EMBEDDINGS=false`` (or
``instrument(export_embedding_vectors=False)``). Base64 vectors are never
recorded. The dimension count and the number of vectors are always there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ... import attributes as A
from ...values import dumps, to_jsonable
from ..base import ProviderInstrumentor, Target
from ..common import base64_size, embeddings_response, export_value, other_params
from ..config import export_vectors
from ..lifecycle import Adapter, ProviderCall
from ..record import ApiSpec, LLMCall
from . import reader as r
from .raw import is_raw_response, record_raw_response

_EVENT_FIELDS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})


@dataclass(slots=True)
class EmbeddingsExport:
    request: dict[str, Any]
    other: dict[str, Any]
    responded: bool = False
    response_object: Any = None
    usage: Any = None
    data: list[Any] | None = None  # the SDK's embedding objects (vectors by reference)


def embeddings_event(call: LLMCall) -> dict[str, Any]:
    export: EmbeddingsExport = call.export
    request = {"model": call.request_model, **export.request, "other": export_value(export.other)}
    if not export.responded:
        return {"request": request, "response": None}
    vectors = None
    if export.data is not None:
        vectors = [v for item in export.data if isinstance(v := r.get(item, "embedding"), list)]
    response = embeddings_response(
        call, vectors=vectors, usage=r.usage_dump(export.usage), model=call.response_model,
        object_type=export.response_object,
    )  # fmt: skip
    return {"request": request, "response": response}


API = ApiSpec(
    name="embeddings.create", event_provider="openai", operation="embeddings",
    event=embeddings_event,
)  # fmt: skip


class EmbeddingsAdapter:
    """The embeddings-specific half of the lifecycle (see ``lifecycle.Adapter``)."""

    api = API

    def __init__(self, *, capture_vectors: bool = False, export_vectors: bool = True) -> None:
        self.capture_vectors = capture_vectors
        self.export_vectors = export_vectors

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        r.read_client(call, instance)
        model = r.given(kwargs, "model")
        call.request_model = model if isinstance(model, str) else None
        encoding = r.given(kwargs, "encoding_format")
        if isinstance(encoding, str):
            call.encoding_formats = [encoding]
        dimensions = r.given(kwargs, "dimensions")
        if isinstance(dimensions, int):
            # The requested dimensions are a parameter; the dimension count
            # attribute is the response's, so a failed call has none.
            call.extra_attributes[A.AIOBS_REQUEST_EXTRA] = dumps({"dimensions": dimensions})
        call.export = EmbeddingsExport(
            request={
                "input": None,
                "encoding_format": encoding,
                "dimensions": dimensions,
                "user": r.given(kwargs, "user"),
            },
            other=other_params(kwargs, _EVENT_FIELDS),
        )

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        text = r.given(kwargs, "input")
        # Only str, list and tuple inputs are read: an iterator would be consumed.
        if not isinstance(text, (str, list, tuple)):
            return
        export: EmbeddingsExport = call.export
        export.request["input"] = to_jsonable(text)
        extra = {"input": text}
        if export.request["dimensions"] is not None:
            extra["dimensions"] = export.request["dimensions"]
        call.extra_attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)

    def stream(self, result: Any, call: LLMCall) -> None:
        return None  # embeddings never stream

    def response(self, call: ProviderCall, result: Any) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        record = call.record
        data = r.get(result, "data") or []
        model = r.get(result, "model")
        if isinstance(model, str) and model:
            record.response_model = model
        usage = r.get(result, "usage")
        r.read_usage(record, usage, output=False)
        record.embedding_dimensions = _dimension(r.get(data[0], "embedding")) if data else None
        export: EmbeddingsExport = record.export
        export.responded = True
        export.usage = usage
        export.response_object = r.get(result, "object")
        if self.export_vectors and record.content:
            export.data = list(data)
        extra: dict[str, Any] = {"count": len(data)}
        if self.capture_vectors and record.content:
            floats = [v for item in data if isinstance(v := r.get(item, "embedding"), list)]
            if floats:
                extra["embeddings"] = floats
        # Vectors are plain floats: json.dumps keeps them whole (no truncation),
        # and refuses NaN, which the guard around us reports.
        record.extra_attributes[A.AIOBS_RESPONSE_EXTRA] = json.dumps(extra, allow_nan=False)
        return None

    def error_type(self, error: BaseException) -> str:
        return r.error_type(error)


def _dimension(vector: Any) -> int | None:
    if isinstance(vector, list):
        return len(vector)
    if isinstance(vector, str):  # encoding_format="base64": float32 values
        return base64_size(vector) // 4
    return None


class OpenAIEmbeddingsInstrumentor(ProviderInstrumentor):
    """Traces ``client.embeddings.create`` (sync, async, raw-response wrappers).

    ``instrument(capture_embedding_vectors=True)`` also puts the vectors on
    spans; ``instrument(export_embedding_vectors=False)`` leaves them out of
    the JSON export.
    """

    scope = "aiobs_otel.openai"
    instruments = r.INSTRUMENTS
    sdk_packages = r.SDK_PACKAGES
    targets = (
        Target("openai.resources.embeddings", "Embeddings.create"),
        Target("openai.resources.embeddings", "AsyncEmbeddings.create", is_async=True),
    )
    _capture_vectors = False
    _export_vectors = True

    def _instrument(self, **kwargs: Any) -> None:
        self._capture_vectors = bool(kwargs.get("capture_embedding_vectors", False))
        self._export_vectors = export_vectors(kwargs.get("export_embedding_vectors"))
        super()._instrument(**kwargs)

    def adapter(self) -> Adapter:
        return EmbeddingsAdapter(
            capture_vectors=self._capture_vectors, export_vectors=self._export_vectors
        )
