"""Several exports (one per service) as one, for ``aiobs-otel view a.json b.json``.

Events keep their ids; an event whose parent is not an event of any file but
a span another file's ``trace_links.handoffs`` names (the calling service's
HTTP client span) gets that file's nearest event as its parent, so each trace
is one tree. Titles say which file each event came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..exporters.models import ObservabilityExport


def merge_exports(
    exports: Sequence[ObservabilityExport], names: Sequence[str]
) -> ObservabilityExport:
    documents = [e.model_dump() for e in exports]
    handoffs: dict[str, str] = {}
    for document in documents:
        links = document.get("trace_links") or {}
        handoffs.update(links.get("handoffs") or {})
    events: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    for document, name in zip(documents, names, strict=True):
        for key, into in (("events", events), ("function_events", functions)):
            for event in document.get(key) or ():
                into.append({**event, "source": name})
    known = {e["span_id"] for e in events + functions if e.get("span_id")}
    for event in events + functions:
        parent = event.get("parent_span_id")
        for _ in range(256):  # a corrupt map must not loop forever
            if not isinstance(parent, str) or parent in known or parent not in handoffs:
                break
            parent = handoffs[parent]
        event["parent_span_id"] = parent
    sessions = {s["id"]: s for d in documents for s in d.get("sessions") or ()}
    return ObservabilityExport.model_validate({
        "sessions": list(sessions.values()), "events": events, "function_events": functions,
        "generated_at": max((d.get("generated_at") or 0.0) for d in documents), "version": 1,
    })  # fmt: skip
