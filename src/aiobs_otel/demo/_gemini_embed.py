"""Gemini embeddings in the stand-in: the methods google-genai's
``models.embed_content`` calls, in each API's own request and response shape.

- Gemini Developer API: ``:batchEmbedContents`` (what the SDK always calls:
  ``requests[]`` with ``content`` and ``outputDimensionality``) answers
  ``embeddings[].values``; ``:embedContent`` answers one ``embedding``. The
  Developer API reports no token counts.
- Vertex AI, Gemini embedding models (google-genai 1.4x and later):
  ``:embedContent`` (one content) and ``:batchEmbedContents`` (several), with
  ``embedContentConfig``; both report ``usageMetadata``.
- Vertex AI, other models (``text-embedding-005``; every model with older SDK
  releases): ``:predict`` with ``instances[].content`` and ``parameters``; each
  prediction carries ``statistics.token_count``, the response
  ``metadata.billableCharacterCount``.

One vector per content, from ``_text.vector`` (deterministic; texts that share
words are similar). ``outputDimensionality`` is honoured; otherwise Gemini
embedding models give 3072 dimensions and the others 768. A model whose name
has no ``embedding`` in it is answered as the APIs answer it: 404.
"""

from __future__ import annotations

from typing import Any

from . import _text
from ._gemini import error
from ._reply import Reply, injected_status

VERBS = frozenset({"embedContent", "batchEmbedContents", "predict"})
_MAX_BATCH = 100  # the Gemini API's limit on requests in one batch


def _dimensions(model: str, requested: Any) -> int:
    if isinstance(requested, int) and requested > 0:
        return requested
    return 3072 if model.startswith("gemini-embedding") else 768


def _text_of(content: Any) -> str:
    return content if isinstance(content, str) else _text.text_of(content)


def embed(model: str, verb: str, body: dict[str, Any], *, where: str, vertex: bool) -> Reply:
    """``where``: the path's ``{version}/{prefix}`` (``v1beta/``, ``v1beta1/projects/P/…/``)."""
    status = injected_status(model)
    if status is not None:
        return error(status, f"Injected error {status} for model '{model}' (stand-in).")
    if "embedding" not in model:
        version, _, prefix = where.partition("/")
        if vertex:
            message = f"Publisher Model `{prefix}models/{model}` does not support {verb}."
            return error(404, message)
        return error(404, (
            f"models/{model} is not found for API version {version}, or is not supported for "
            f"{verb}. Call ListModels to see the list of available models and their "
            "supported methods."
        ))  # fmt: skip
    if verb == "predict":
        return _predict(model, body)
    if verb == "embedContent":
        content = body.get("content")
        if not isinstance(content, dict) or not content.get("parts"):
            return error(400, "* EmbedContentRequest.content: contents is not specified")
        config = (body.get("embedContentConfig") or {}) if vertex else body
        text = _text_of(content)
        values = _text.vector(text, _dimensions(model, config.get("outputDimensionality")))
        if not vertex:
            return Reply(body={"embedding": {"values": values}})
        tokens = _text.count_tokens(text)
        return Reply(body={"embedding": {"values": values}, "truncated": False,
                           "usageMetadata": _usage(tokens)})  # fmt: skip
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return error(400, "* BatchEmbedContentsRequest.requests: requests is not specified")
    if len(requests) > _MAX_BATCH:
        limit = f"at most {_MAX_BATCH} requests can be in one batch"
        return error(400, f"* BatchEmbedContentsRequest.requests: {limit}")
    embeddings, tokens = [], 0
    for request in requests:
        request = request if isinstance(request, dict) else {}
        config = (request.get("embedContentConfig") or {}) if vertex else request
        text = _text_of(request.get("content"))
        tokens += _text.count_tokens(text)
        dimensions = _dimensions(model, config.get("outputDimensionality"))
        embeddings.append({"values": _text.vector(text, dimensions)})
    if not vertex:
        return Reply(body={"embeddings": embeddings})
    return Reply(body={"embeddings": embeddings, "usageMetadata": _usage(tokens)})


def _usage(tokens: int) -> dict[str, Any]:
    return {
        "promptTokenCount": tokens,
        "totalTokenCount": tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}],
    }


def _predict(model: str, body: dict[str, Any]) -> Reply:
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        return error(400, "instances must be a non-empty list")
    parameters = body.get("parameters") or {}
    dimensions = _dimensions(model, parameters.get("outputDimensionality"))
    predictions, characters = [], 0
    for instance in instances:
        text = _text_of((instance if isinstance(instance, dict) else {}).get("content"))
        characters += len(text)
        statistics = {"truncated": False, "token_count": _text.count_tokens(text)}
        values = _text.vector(text, dimensions)
        predictions.append({"embeddings": {"values": values, "statistics": statistics}})
    return Reply(
        body={"predictions": predictions, "metadata": {"billableCharacterCount": characters}}
    )
