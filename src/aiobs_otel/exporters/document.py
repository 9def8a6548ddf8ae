"""Records to the whole ObservabilityExport document (plain dicts, JSON-ready):
what exporters that take the model get. The file is written as a stream
instead (``stream``); both convert each record through ``conversion``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cost import cost_totals
from ..records import SpanRecord
from .conversion import ExportIndex, build_index

EMPTY_TRACE_LINKS: dict[str, Any] = {"continues": [], "handoffs": {}}


@dataclass
class Conversion:
    events: list[dict[str, Any]] = field(default_factory=list)
    function_events: list[dict[str, Any]] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)
    # Evaluations whose evaluated event is not in this export (an earlier flush).
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    # How this export joins those of other services (see ``conversion.trace_links``).
    trace_links: dict[str, Any] = field(default_factory=dict)


def convert_records(
    records: Iterable[SpanRecord],
    bridges: Mapping[int, int],
    on_error: Callable[[SpanRecord], None] | None = None,
    remote_parents: Mapping[int, int] | None = None,
) -> Conversion:
    """Turn buffered records into event dicts; a record that fails to convert
    is reported through ``on_error`` and left out, never fatal."""
    return convert_index(build_index(records, bridges, remote_parents), on_error)


def convert_index(index: ExportIndex, on_error: Callable[[SpanRecord], None] | None) -> Conversion:
    result = Conversion(session_ids=index.session_ids, trace_links=index.trace_links)
    for record in index.records:
        if not index.takes_part(record):
            continue
        for event in index.events_for(record, on_error):
            (result.function_events if record.is_function else result.events).append(event)
    result.evaluations = index.orphan_evaluations
    return result


def build_trace_tree(nodes_in: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events and function events as a forest linked by parent_span_id, roots and
    children sorted by started_at. A node whose parent is not here is a root."""
    nodes: dict[str, dict[str, Any]] = {}
    ordered: list[dict[str, Any]] = []
    for event in nodes_in:
        node = dict(event)
        node["event_type"] = "function" if event.get("provider") == "function" else "provider"
        node["children"] = []
        ordered.append(node)
        if node.get("span_id"):
            nodes[node["span_id"]] = node
    roots: list[dict[str, Any]] = []
    for node in ordered:
        parent = nodes.get(node.get("parent_span_id") or "")
        (parent["children"] if parent is not None else roots).append(node)
    _sort(roots)
    return roots


def _sort(nodes: list[dict[str, Any]]) -> None:
    stack = [nodes]
    while stack:
        level = stack.pop()
        level.sort(key=lambda n: n.get("started_at", 0.0))
        stack.extend(n["children"] for n in level if n["children"])


def enh_prompt_ids(tree: list[dict[str, Any]]) -> list[str]:
    """enh_prompt_id of every node with enh_prompt true, in tree (depth-first) order."""
    found: list[str] = []
    stack = list(reversed(tree))
    while stack:
        node = stack.pop()
        if node.get("enh_prompt") is True and node.get("enh_prompt_id"):
            found.append(node["enh_prompt_id"])
        stack.extend(reversed(node.get("children") or []))
    return found


def assemble(
    conversion: Conversion,
    sessions: list[dict[str, Any]],
    *,
    include_trace_tree: bool,
    generated_at: float | None = None,
) -> dict[str, Any]:
    """The whole version-1 document."""
    tree = None
    if include_trace_tree:
        tree = build_trace_tree(conversion.events + conversion.function_events)
        traces = enh_prompt_ids(tree)
    else:
        by_start = sorted(conversion.function_events, key=lambda e: e["started_at"])
        traces = [e["enh_prompt_id"] for e in by_start if e["enh_prompt"] and e["enh_prompt_id"]]
    return {
        "sessions": sessions,
        "events": conversion.events,
        "function_events": conversion.function_events,
        "trace_tree": tree,
        "enh_prompt_traces": traces or None,
        "generated_at": time.time() if generated_at is None else generated_at,
        "version": 1,
        # Added to aiobs's document (its models ignore keys they do not know):
        "cost_totals": cost_totals(conversion.events + conversion.function_events, sessions),
        "evaluations": conversion.evaluations,
        "trace_links": conversion.trace_links or EMPTY_TRACE_LINKS,
    }
