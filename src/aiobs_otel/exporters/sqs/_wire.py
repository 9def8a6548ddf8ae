"""The SQS message on the wire: llmops-observability's wrapper around a gzip +
base64 trace, and the deterministic idempotency keys."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable
from typing import Any

MESSAGE_TYPE = "SDKTraceData"  # the wrapper's "type" in llmops's "Incoming SDK Message Schema"
_NAMESPACE = b"aiobs-otel/sqs/v1"
# gzip level 6 (the zlib default): within a few percent of level 9's size at a
# third of its cost. The header's mtime is 0: the bytes are a function of the trace.
_GZIP_LEVEL = 6
_GZIP_CONTAINER = 16  # added to zlib's window bits: a gzip header and trailer


def trace_key(trace_id: str, span_ids: Iterable[str]) -> str:
    """The idempotency key of one message of a trace: the trace id and the ids of
    the spans it carries. The same trace (a retry, a replay of the spill) gets the
    same key; another message of that trace (late spans, another service's segment
    of a distributed trace) gets its own."""
    digest = hashlib.sha256(_NAMESPACE + b"|trace|" + trace_id.encode("ascii") + b"|")
    digest.update(",".join(sorted(span_ids)).encode("ascii"))
    return digest.hexdigest()[:32]


def span_key(trace_id: str, span_id: str) -> str:
    digest = hashlib.sha256(_NAMESPACE + b"|span|" + f"{trace_id}|{span_id}".encode("ascii"))
    return digest.hexdigest()[:32]


def compress(payload: bytes) -> str:
    """gzip then base64, as llmops's consumers expect in the wrapper's ``data``.

    The window is sized to the payload (a back-reference cannot reach before its
    start, so the output is as small as with the full 32 KiB window): a typical
    trace of a few KiB then costs a quarter of the time to compress."""
    bits = min(15, max(9, (len(payload) - 1).bit_length()))
    deflate = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, _GZIP_CONTAINER + bits,
                               max(1, min(8, bits - 7)))  # fmt: skip
    return base64.b64encode(deflate.compress(payload) + deflate.flush()).decode("ascii")


def wrap(data: str, *, trace_id: str, key: str) -> str:
    """The message body: llmops's wrapper, plus the idempotency key so that a consumer
    can drop a duplicate before decompressing it. Pure ASCII: its length is its size."""
    return json.dumps(
        {
            "compressed": True,
            "data": data,
            "trace_id": trace_id,
            "type": MESSAGE_TYPE,
            "idempotency_key": key,
        },
        separators=(",", ":"),
    )


def decode_message(body: str | bytes) -> dict[str, Any]:
    """A message body back to the trace it carries (what a consumer does)::

    for message in sqs.receive_message(QueueUrl=url)["Messages"]:
        trace = decode_message(message["Body"])
    """
    message = json.loads(body)
    if not message.get("compressed"):
        return dict(message)
    return dict(json.loads(gzip.decompress(base64.b64decode(message["data"]))))
