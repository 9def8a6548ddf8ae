"""The SQS message on the wire: llmops-observability's wrapper around a gzip +
base64 trace, and the deterministic idempotency keys."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterable
from typing import Any

MESSAGE_TYPE = "SDKTraceData"  # the wrapper's "type" in llmops's "Incoming SDK Message Schema"
_NAMESPACE = b"aiobs-otel/sqs/v1"
# gzip level 6 (the zlib default): within a few percent of level 9's size at
# a third of its cost. mtime=0 makes the bytes a function of the trace alone.
_GZIP_LEVEL = 6


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
    """gzip then base64, as llmops's consumers expect in the wrapper's ``data``."""
    return base64.b64encode(gzip.compress(payload, compresslevel=_GZIP_LEVEL, mtime=0)).decode(
        "ascii"
    )


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
