"""OpenAI embeddings: ``Embeddings.create`` / ``AsyncEmbeddings.create``.

    OpenAIEmbeddingsInstrumentor().instrument(capture_embedding_vectors=True)

The inputs are recorded when content capture is on. The vectors are large, so
they are recorded only with ``capture_embedding_vectors=True`` (as a JSON list
in ``aiobs.response.extra``), and never when they come back base64-encoded.
The dimension count and the number of vectors are always recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from .._safe import dumps
from ._base import ProviderInstrumentor, Target
from ._common import base64_size, span_name
from ._lifecycle import ApiRecorder, ChunkAccumulator, ProviderCall
from ._openai_common import (
    base_attributes,
    error_type,
    get,
    given,
    params_json,
    usage_attributes,
)
from ._openai_raw import is_raw_response, record_raw_response
from .openai_chat import INSTRUMENTS


class EmbeddingsRecorder:
    """The embeddings-specific half of the lifecycle (see ``ApiRecorder``)."""

    def __init__(self, *, capture_vectors: bool = False) -> None:
        self.capture_vectors = capture_vectors

    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        model = given(kwargs, "model")
        attributes = base_attributes(instance, "embeddings", model)
        encoding = given(kwargs, "encoding_format")
        if isinstance(encoding, str):
            attributes[A.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        # The requested dimensions are a parameter (``aiobs.request.extra``); the
        # dimension count attribute is the response's, so a failed call has none.
        extra = _request_extra(kwargs)
        if extra:
            attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)
        params = params_json(kwargs, ("user",))
        if params:
            attributes[A.AIOBS_REQUEST_PARAMS] = params
        return span_name("embeddings", model), attributes

    def content(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        text = given(kwargs, "input")
        # Only str, list and tuple inputs are read: an iterator would be consumed.
        if not isinstance(text, (str, list, tuple)):
            return {}
        extra = _request_extra(kwargs)
        extra["input"] = text
        return {A.AIOBS_REQUEST_EXTRA: dumps(extra)}

    def stream(self, result: Any, content: bool) -> ChunkAccumulator | None:
        return None  # embeddings never stream

    def response(self, call: ProviderCall, result: Any) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        data = get(result, "data") or []
        model = get(result, "model")
        if isinstance(model, str) and model:
            call.response_model = model
        extra: dict[str, Any] = {"count": len(data)}
        if self.capture_vectors and call.content:
            floats = [v for item in data if isinstance(v := get(item, "embedding"), list)]
            if floats:
                extra["embeddings"] = floats
        attributes = usage_attributes(call, get(result, "usage"), output=False)
        attributes.update({
            A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT:
                _dimension(get(data[0], "embedding")) if data else None,
            A.GEN_AI_RESPONSE_MODEL: call.response_model,
            # Vectors are plain floats: json.dumps keeps them whole (no truncation),
            # and refuses NaN, which the guard around us reports.
            A.AIOBS_RESPONSE_EXTRA: json.dumps(extra, allow_nan=False),
        })  # fmt: skip
        call.set(attributes)
        return None

    def error_type(self, error: BaseException) -> str:
        return error_type(error)


def _request_extra(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    dimensions = given(kwargs, "dimensions")
    return {"dimensions": dimensions} if isinstance(dimensions, int) else {}


def _dimension(vector: Any) -> int | None:
    if isinstance(vector, list):
        return len(vector)
    if isinstance(vector, str):  # encoding_format="base64": float32 values
        return base64_size(vector) // 4
    return None


class OpenAIEmbeddingsInstrumentor(ProviderInstrumentor):
    """Traces ``client.embeddings.create`` (sync, async, raw-response wrappers).

    ``instrument(capture_embedding_vectors=True)`` also records the vectors.
    """

    scope = "aiobs_otel.openai"
    instruments = INSTRUMENTS
    targets = (
        Target("openai.resources.embeddings", "Embeddings.create"),
        Target("openai.resources.embeddings", "AsyncEmbeddings.create", is_async=True),
    )
    _capture_vectors = False

    def _instrument(self, **kwargs: Any) -> None:
        self._capture_vectors = bool(kwargs.get("capture_embedding_vectors", False))
        super()._instrument(**kwargs)

    def recorder(self) -> ApiRecorder:
        return EmbeddingsRecorder(capture_vectors=self._capture_vectors)
