"""Several exports (one per service) joined into one tree per trace.

Every event and function event of every document is a node; a node's parent
is looked up by span id across all documents. A parent that is no document's
event may be a span the exports left out (an HTTP client span): a document's
``trace_links.handoffs`` maps such span ids to the nearest exported ancestor
(the proposed export field; see ``aiobs_otel.http.trace_links``). A node whose
parent is still unknown is a root of its trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class JoinedNode:
    event: Mapping[str, Any]
    source: int  # index of the document it came from
    children: list[JoinedNode] = field(default_factory=list)

    @property
    def span_id(self) -> str | None:
        value = self.event.get("span_id")
        return value if isinstance(value, str) else None


@dataclass
class JoinedTrace:
    trace_id: str
    roots: list[JoinedNode]
    sources: set[int]  # the documents that have part of this trace


def _started(node: JoinedNode) -> float:
    value = node.event.get("started_at")
    return float(value) if isinstance(value, (int, float)) else 0.0


def join_traces(documents: Sequence[Mapping[str, Any]]) -> list[JoinedTrace]:
    """One tree per trace id over all ``documents``, traces ordered by start."""
    nodes: list[JoinedNode] = []
    handoffs: dict[str, str | None] = {}
    for index, document in enumerate(documents):
        for key in ("events", "function_events"):
            for event in document.get(key) or ():
                nodes.append(JoinedNode(event, index))
        links = document.get("trace_links") or {}
        handoffs.update(links.get("handoffs") or {})
    by_id: dict[str, JoinedNode] = {n.span_id: n for n in nodes if n.span_id is not None}
    roots: dict[str, list[JoinedNode]] = {}
    for node in nodes:
        parent = _parent(node, by_id, handoffs)
        if parent is not None:
            parent.children.append(node)
        else:
            roots.setdefault(str(node.event.get("trace_id")), []).append(node)
    for node in nodes:
        node.children.sort(key=_started)
    traces = [
        JoinedTrace(trace_id, sorted(found, key=_started), _sources(found))
        for trace_id, found in roots.items()
    ]
    return sorted(traces, key=lambda t: _started(t.roots[0]))


def _parent(
    node: JoinedNode, by_id: Mapping[str, JoinedNode], handoffs: Mapping[str, str | None]
) -> JoinedNode | None:
    parent_id = node.event.get("parent_span_id")
    for _ in range(256):
        if not isinstance(parent_id, str):
            return None
        if parent_id in by_id and by_id[parent_id] is not node:
            return by_id[parent_id]
        if parent_id not in handoffs:
            return None
        parent_id = handoffs[parent_id]
    return None


def _sources(roots: list[JoinedNode]) -> set[int]:
    found: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        found.add(node.source)
        stack.extend(node.children)
    return found
