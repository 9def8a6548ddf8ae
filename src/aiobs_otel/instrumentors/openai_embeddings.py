"""OpenAI embeddings: ``Embeddings.create`` / ``AsyncEmbeddings.create``.

    OpenAIEmbeddingsInstrumentor().instrument(capture_embedding_vectors=True)

The inputs are recorded when content capture is on. The vectors are large, so
they are recorded only with ``capture_embedding_vectors=True`` (as a JSON list
in ``aiobs.response.extra``), and never when they come back base64-encoded.
The dimension count and the number of vectors are always recorded.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from .. import attributes as A
from .._safe import dumps, to_jsonable
from ._base import ProviderInstrumentor, Target
from ._lifecycle import ApiRecorder, ChunkAccumulator, ProviderCall
from ._openai_common import (
    base_attributes,
    error_type,
    get,
    given,
    params_json,
    record_usage,
    span_name,
)
from ._openai_raw import is_raw_response, record_raw_response
from .openai_chat import INSTRUMENTS


class EmbeddingsRecorder:
    """The embeddings-specific half of the lifecycle (see ``ApiRecorder``)."""

    def __init__(self, *, capture_vectors: bool = False) -> None:
        self.capture_vectors = capture_vectors

    def request(
        self, instance: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], content: bool
    ) -> tuple[str, dict[str, Any]]:
        attributes = base_attributes(instance, "embeddings", given(kwargs, "model"))
        encoding = given(kwargs, "encoding_format")
        if isinstance(encoding, str):
            attributes[A.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
        extra: dict[str, Any] = {}
        dimensions = given(kwargs, "dimensions")
        if isinstance(dimensions, int):
            attributes[A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions
            extra["dimensions"] = dimensions
        if content and given(kwargs, "input") is not None:
            extra["input"] = to_jsonable(given(kwargs, "input"))
        if extra:
            attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)
        params = params_json(kwargs, ("user",))
        if params:
            attributes[A.AIOBS_REQUEST_PARAMS] = params
        return span_name(attributes), attributes

    def stream(self, result: Any, kwargs: Mapping[str, Any]) -> ChunkAccumulator | None:
        return None  # embeddings never stream

    def response(self, call: ProviderCall, result: Any, content: bool) -> Any:
        if is_raw_response(result):
            return record_raw_response(call, result, self)
        data = list(get(result, "data") or [])
        vectors = [get(item, "embedding") for item in data]
        dimension = _dimension(vectors[0]) if vectors else None
        call.set({A.GEN_AI_EMBEDDINGS_DIMENSION_COUNT: dimension})
        call.set_response_model(get(result, "model"))
        record_usage(call, get(result, "usage"), output=False)
        extra: dict[str, Any] = {"count": len(data)}
        if self.capture_vectors and content:
            floats = [v for v in vectors if isinstance(v, list)]
            if floats:
                extra["embeddings"] = floats
        # Vectors are plain floats: json.dumps keeps them whole (no truncation),
        # and refuses NaN, which the guard around us reports.
        call.set({A.AIOBS_RESPONSE_EXTRA: json.dumps(extra, allow_nan=False)})
        return None

    def error_type(self, error: BaseException) -> str:
        return error_type(error)


def _dimension(vector: Any) -> int | None:
    if isinstance(vector, list):
        return len(vector)
    if isinstance(vector, str):  # encoding_format="base64": float32 values
        try:
            return len(base64.b64decode(vector)) // 4
        except (binascii.Error, ValueError):
            return None
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
