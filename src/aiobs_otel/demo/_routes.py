"""Which dialect answers a request: the stand-in's routing table.

OpenAI: ``/v1/chat/completions``, ``/v1/embeddings``, ``/v1/responses``.
Gemini (Developer API and Vertex AI): ``/{version}/{prefix}models/{model}:{method}``
(``generateContent``, ``streamGenerateContent``, the embedding methods,
``predictLongRunning``, ``fetchPredictOperation``), operations and file
downloads. Anything else is a 404 in the provider's error shape.
"""

from __future__ import annotations

import re
from typing import Any

from . import _gemini_embed, _openai, _responses
from ._gemini import FAKE_VIDEO, VIDEO_MIME, GeminiDialect
from ._gemini import error as gemini_error
from ._reply import Ids, Reply

_VERSION = r"/(?:v1|v1beta|v1alpha|v1beta1)/"
_MODEL_METHOD = re.compile(
    r"/(?P<version>v1|v1beta|v1alpha|v1beta1)/(?P<prefix>(?:[^:]*/)?)models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
_OPERATION = re.compile(_VERSION + r"(?P<name>(?:[^:]*/)?models/[^/:]+/operations/[^/:]+)$")
_FILE_DOWNLOAD = re.compile(_VERSION + r"files/(?P<id>[^/:]+):download$")
_OPENAI_PATHS = ("/v1/chat/", "/v1/embeddings", "/v1/responses")

INVALID_JSON: Any = object()
"""The body of a request whose JSON did not parse."""


class Routes:
    def __init__(self, ids: Ids, gemini: GeminiDialect) -> None:
        self._ids = ids
        self._gemini = gemini

    def route(self, method: str, path: str, body: Any) -> Reply:
        is_openai = path.startswith(_OPENAI_PATHS)
        if body is INVALID_JSON:
            message = "We could not parse the JSON body of your request."
            return _openai.error(400, message) if is_openai else gemini_error(400, message)
        payload = body if isinstance(body, dict) else {}
        if method == "POST" and path == "/v1/chat/completions":
            return _openai.chat_completions(payload, self._ids)
        if method == "POST" and path == "/v1/embeddings":
            return _openai.embeddings(payload)
        if method == "POST" and path == "/v1/responses":
            return _responses.responses(payload, self._ids)
        match = _MODEL_METHOD.match(path)
        if method == "POST" and match is not None:
            version, prefix, model, verb = match.group("version", "prefix", "model", "method")
            reply = self._model_method(version, prefix, model, verb, payload)
            if reply is not None:
                return reply
        match = _OPERATION.match(path)
        if method == "GET" and match is not None:
            return self._gemini.poll(match.group("name"))
        if method == "GET" and _FILE_DOWNLOAD.match(path):
            return Reply(raw=FAKE_VIDEO, content_type=VIDEO_MIME)
        message = f"{method} {path} is not served by the stand-in."
        return _openai.error(404, message) if is_openai else gemini_error(404, message)

    def _model_method(
        self, version: str, prefix: str, model: str, verb: str, payload: dict[str, Any]
    ) -> Reply | None:
        vertex = "publishers/" in prefix
        if verb in ("generateContent", "streamGenerateContent"):
            stream = verb == "streamGenerateContent"
            return self._gemini.generate_content(model, payload, vertex=vertex, stream=stream)
        # :predict also serves Imagen; only embedding models are answered here.
        if verb in _gemini_embed.VERBS and (verb != "predict" or "embedding" in model):
            where = f"{version}/{prefix}"
            return _gemini_embed.embed(model, verb, payload, where=where, vertex=vertex)
        if verb == "predictLongRunning":
            return self._gemini.predict_long_running(prefix, model, payload, vertex=vertex)
        if verb == "fetchPredictOperation":
            return self._gemini.poll(str(payload.get("operationName", "")))
        return None
