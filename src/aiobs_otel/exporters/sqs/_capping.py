"""Keeping every message under the size cap without ever dropping a trace.

A trace whose message (compressed, base64, wrapped) is over the cap loses
detail field by field, largest first, each cut field keeping a preview and
saying so: first the I/O fields llmops-observability truncates (trace input and
output, span input_data / output_data / prompt / response), then span
attributes and trace metadata, with shorter previews at each step. A trace
that still does not fit (thousands of spans) is split into several messages
of the same trace. The result is always valid JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from ._content import json_size, make_safe, to_json_bytes
from ._wire import compress, wrap

PREVIEW_CHARS = 1024  # llmops keeps "a preview of the first ~1KB" of a cut value
_LEVELS: tuple[tuple[bool, int], ...] = ((False, PREVIEW_CHARS), (True, PREVIEW_CHARS),
                                         (True, 128), (True, 0))  # fmt: skip
_IO_FIELDS = ("input_data", "output_data", "prompt", "response")
_MARGIN = 128  # room for the "part" field a split adds after fitting
_LAST_RESORT_STRING = 256
_LAST_RESORT_ITEMS = 64

Builder = Callable[[Sequence[ReadableSpan]], dict[str, Any]]


@dataclass(frozen=True)
class Message:
    """One SQS message ready to send (its body is ASCII: ``size`` is its byte count)."""

    body: str
    key: str
    trace_id: str
    size: int
    truncated: bool = False


def encode(document: dict[str, Any]) -> tuple[str, int]:
    """The message body of ``document`` and the size of its uncompressed JSON."""
    payload = to_json_bytes(document)
    body = wrap(compress(payload), trace_id=document["trace_id"], key=document["idempotency_key"])
    return body, len(payload)


def _message(document: dict[str, Any], body: str) -> Message:
    return Message(body, document["idempotency_key"], document["trace_id"], len(body),
                   bool(document.get("truncated")))  # fmt: skip


def fit(spans: Sequence[ReadableSpan], build: Builder, cap: int) -> list[Message]:
    """The messages of one trace (usually one), each at most ``cap`` bytes."""
    fitted = _fit_documents(spans, build, cap)
    if len(fitted) == 1:
        document, body = fitted[0]
        return [_message(document, body)]
    messages = []
    for index, (document, _) in enumerate(fitted):
        document["part"] = {"index": index, "count": len(fitted)}
        document["is_child_segment"] = document["is_child_segment"] or index > 0
        if index:  # the trace's own input and output travel once, in the first part
            document["trace_input"] = document["trace_output"] = None
        body = encode(document)[0]
        if len(body) > cap:  # cannot happen with the margin kept; never send one over
            body = _squeeze(document, cap)
        messages.append(_message(document, body))
    return messages


def _fit_documents(
    spans: Sequence[ReadableSpan], build: Builder, cap: int
) -> list[tuple[dict[str, Any], str]]:
    document = build(spans)
    body, raw = encode(document)
    limit = cap - _MARGIN
    if len(body) <= limit:
        return [(document, body)]
    if len(spans) > 1:
        parts = _parts_needed(document, len(body), raw, limit)
        if parts > 1:  # even with every I/O field cut it would not fit: split first
            return _split(spans, build, cap, parts)
    fitted = _truncate(document, limit, len(body), raw)
    if fitted is not None:
        return [(document, fitted)]
    if len(spans) > 1:
        return _split(spans, build, cap, 2)
    return [(document, _squeeze(document, limit))]


def _parts_needed(document: dict[str, Any], size: int, raw: int, limit: int) -> int:
    """How many messages the trace needs once its cuttable fields are cut, estimated
    from its size without them at the current compression ratio (conservatively)."""
    fields = _fields(document, with_metadata=True)
    floor = (max(raw - sum(f.size for f in fields), 1) + 64 * len(fields)) * size / raw
    budget = limit * 0.6
    return 1 if floor <= budget else math.ceil(floor / budget)


def _split(
    spans: Sequence[ReadableSpan], build: Builder, cap: int, parts: int
) -> list[tuple[dict[str, Any], str]]:
    ordered = sorted(spans, key=_start_order)
    step = math.ceil(len(ordered) / min(parts, len(ordered)))
    fitted = []
    for start in range(0, len(ordered), step):
        fitted.extend(_fit_documents(ordered[start : start + step], build, cap))
    return fitted


def _start_order(span: ReadableSpan) -> tuple[int, int]:
    return span.start_time or 0, span.context.span_id if span.context else 0


def _cut_text(text: str, keep: int) -> str:
    return f"{text[:keep]}...[truncated {max(len(text) - keep, 0)} chars]"


class _Field:
    """One cuttable value: where it lives, and its original (kept for re-cutting)."""

    __slots__ = ("container", "key", "original", "owner", "size", "text")

    def __init__(self, container: dict[str, Any], key: str, owner: dict[str, Any]) -> None:
        self.container, self.key, self.owner = container, key, owner
        self.original = container[key]
        self.size = json_size(self.original)
        self.text: str | None = None  # the original as JSON text, made on the first cut

    def cut(self, preview: int) -> int:
        """Replace the value by its preview; return how many characters that saved."""
        current = self.container[self.key]
        before = self.size if current is self.original else json_size(current)
        if isinstance(self.original, str):
            self.container[self.key] = _cut_text(self.original, preview)
        else:
            if self.text is None:
                self.text = to_json_bytes(make_safe(self.original)).decode("utf-8")
            self.container[self.key] = {
                "_truncated": True,
                "original_size": len(self.text),
                "preview": self.text[:preview],
            }
        fields = self.owner.setdefault("truncated_fields", [])
        if self.key not in fields:
            fields.append(self.key)
        self.owner["truncated"] = True
        return before - json_size(self.container[self.key])


def _fields(document: dict[str, Any], with_metadata: bool) -> list[_Field]:
    found = [_Field(document, key, document) for key in ("trace_input", "trace_output")
             if document.get(key) is not None]  # fmt: skip
    for span in document["spans"]:
        found.extend(_Field(span, key, span) for key in _IO_FIELDS if span.get(key) is not None)
        if with_metadata:
            metadata = span.get("metadata") or {}
            if metadata.get("attributes"):
                found.append(_Field(metadata, "attributes", span))
            if span.get("evaluations"):
                found.append(_Field(span, "evaluations", span))
    if with_metadata and document.get("metadata"):
        found.append(_Field(document, "metadata", document))
    return found


def _truncate(document: dict[str, Any], cap: int, size: int, raw: int) -> str | None:
    """Cut fields, largest first, until the message fits: its body, or None."""
    document["truncated"] = True
    fields: dict[tuple[int, str], _Field] = {}
    for with_metadata, preview in _LEVELS:
        for found in _fields(document, with_metadata):
            fields.setdefault((id(found.container), found.key), found)
        candidates = sorted((f for f in fields.values() if f.size > preview + 64),
                            key=lambda f: f.size, reverse=True)  # fmt: skip
        while candidates:
            # Remove about as much raw JSON as the excess would be, at the current
            # compression ratio (with room to spare), then measure again.
            need = (size - cap) * raw / max(size, 1) * 1.25 + 1024
            saved = 0
            while candidates and saved < need:
                saved += candidates.pop(0).cut(preview)
            body, raw = encode(document)
            size = len(body)
            if size <= cap:
                return body
    return None


def _squeeze(document: dict[str, Any], cap: int) -> str:
    """The last resort for a single span that is still too big (a huge span name, a
    million tags): every long string and collection cut; then a stub if need be."""
    squeezed = _shorten(document)
    squeezed["truncated"] = True
    document.clear()
    document.update(squeezed)
    body, _ = encode(document)
    if len(body) <= cap:
        return body
    keep = ("trace_id", "trace_name", "project_id", "environment", "start_time", "end_time",
            "duration_ms", "segment", "is_child_segment", "idempotency_key", "sdk_name",
            "sdk_version")  # fmt: skip
    stub = {k: document.get(k) for k in keep}
    stub.update(truncated=True, spans=[], total_spans=0, total_generations=0,
                error="trace too large for one message even after truncation")  # fmt: skip
    document.clear()
    document.update(stub)
    return encode(document)[0]


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _LAST_RESORT_STRING:
        return _cut_text(value, _LAST_RESORT_STRING)
    if isinstance(value, dict):
        items = list(value.items())
        keep = {k: _shorten(v) for k, v in items[:_LAST_RESORT_ITEMS]}
        if len(items) > _LAST_RESORT_ITEMS:
            keep["_truncated_keys"] = len(items) - _LAST_RESORT_ITEMS
        return keep
    if isinstance(value, list):
        kept = [_shorten(v) for v in value[:_LAST_RESORT_ITEMS]]
        if len(value) > _LAST_RESORT_ITEMS:
            kept.append(f"...[truncated {len(value) - _LAST_RESORT_ITEMS} items]")
        return kept
    return value
