"""Records to the ObservabilityExport document (plain dicts, JSON-ready).

Each record gives its event's own fields (``event_fields``); this module adds
what every event shares (error, times, callsite, ids, session), re-parents
events across spans of other instrumentations (``bridges``), folds late
completions into the call they complete, and assembles the version-1
document with its trace tree.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cost import cost_totals
from ..records import SpanRecord


@dataclass
class Conversion:
    events: list[dict[str, Any]] = field(default_factory=list)
    function_events: list[dict[str, Any]] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)
    # Evaluations whose evaluated event is not in this export (an earlier flush).
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    # How this export joins those of other services (see ``trace_links``).
    trace_links: dict[str, Any] = field(default_factory=dict)


def convert_records(
    records: Iterable[SpanRecord],
    bridges: Mapping[int, int],
    on_error: Callable[[SpanRecord], None] | None = None,
    remote_parents: Mapping[int, int] | None = None,
) -> Conversion:
    """Turn buffered records into event dicts; a record that fails to convert
    is reported through ``on_error`` and left out, never fatal."""
    result = Conversion()
    cwd = os.getcwd()
    records = list(records)
    # the span ids that become events (an evaluation is attached, not an event)
    exported = {
        r.facts.span_id
        for r in records
        if r.facts is not None and getattr(r, "attachment", None) is None
    }
    completions: list[tuple[dict[str, Any], str]] = []
    attachments: list[tuple[int, str | None, dict[str, Any], str]] = []
    for record in records:
        facts = record.facts
        if facts is None:
            continue
        attachment = getattr(record, "attachment", None)
        if attachment is not None:  # an evaluation: it goes on the event it evaluates
            evaluated, entry = attachment()
            attachments.append((facts.start_ns, evaluated, entry, facts.session_id))
            continue
        try:
            event = record.event_fields()
            event.update(_common(record, bridges, exported, cwd))
        except Exception:
            if on_error is not None:
                on_error(record)
            continue
        event["session_id"] = facts.session_id
        result.session_ids.add(facts.session_id)
        if record.is_function:
            result.function_events.append(event)
            continue
        result.events.append(event)
        completes = getattr(record, "completes_span_id", None)
        if completes:
            completions.append((event, format(completes, "016x")))
    if completions:
        _merge_completions(result.events, completions)
    if attachments:
        _attach(result, attachments)
    result.trace_links = trace_links(bridges, exported, remote_parents or {})
    return result


def trace_links(
    bridges: Mapping[int, int], exported: set[int], remote_parents: Mapping[int, int]
) -> dict[str, Any]:
    """How this export joins other services' exports of the same trace:

    * ``continues``: the spans of other services this process's part of a
      trace hangs below (``{trace_id, parent_span_id}``, from the incoming
      ``traceparent``);
    * ``handoffs``: span ids that are not events here (the HTTP client span a
      called service names as its parent) -> the nearest event above them.
    ``aiobs-otel view a.json b.json`` joins files with them into one tree.
    """
    continues = [
        {"trace_id": format(trace_id, "032x"), "parent_span_id": format(parent, "016x")}
        for parent, trace_id in remote_parents.items()
    ]
    handoffs: dict[str, str] = {}
    for span_id in bridges:
        anchor = bridges.get(span_id)
        for _ in range(256):  # the nearest event above; a corrupt map must not loop
            if anchor is None or anchor in exported:
                break
            anchor = bridges.get(anchor)
        if anchor is not None:
            handoffs[format(span_id, "016x")] = format(anchor, "016x")
    return {"continues": continues, "handoffs": handoffs}


def _attach(
    result: Conversion, attachments: list[tuple[int, str | None, dict[str, Any], str]]
) -> None:
    """Each evaluation into its evaluated event's ``evaluations`` (in start
    order); one whose event is not in this export is listed at the top level."""
    by_span = {e["span_id"]: e for e in result.events + result.function_events}
    for _, evaluated, entry, session_id in sorted(attachments, key=lambda a: a[0]):
        target = by_span.get(evaluated or "")
        if target is not None:
            target.setdefault("evaluations", []).append(entry)
        else:
            result.evaluations.append({**entry, "session_id": session_id})
            result.session_ids.add(session_id)


def _merge_completions(
    events: list[dict[str, Any]], completions: list[tuple[dict[str, Any], str]]
) -> None:
    """A record that reports the end of an earlier call (a Veo operation polled
    to done) is folded into that call's event when both are in this export:
    its response fields win, its error fills a gap. Otherwise it stays an
    event of its own."""
    by_span = {e["span_id"]: e for e in events if e.get("span_id")}
    merged: set[int] = set()
    for later, target_id in completions:
        target = by_span.get(target_id)
        if target is None or target is later:
            continue
        target["response"] = {**(target.get("response") or {}), **(later.get("response") or {})}
        if later.get("error") and not target.get("error"):
            target["error"] = later["error"]
        merged.add(id(later))
    if merged:
        events[:] = [e for e in events if id(e) not in merged]


def _common(
    record: SpanRecord, bridges: Mapping[int, int], exported: set[int], cwd: str
) -> dict[str, Any]:
    facts = record.facts
    assert facts is not None
    parent = facts.parent_id
    # Walk up through spans that are not events; the hop limit guards against a
    # corrupt map.
    for _ in range(256):
        if parent is None or parent in exported or parent not in bridges:
            break
        parent = bridges[parent]
    return {
        "error": record.error,
        "started_at": facts.start_ns / 1e9,
        "ended_at": facts.end_ns / 1e9,
        "duration_ms": round((facts.end_ns - facts.start_ns) / 1e6, 3),
        "callsite": _callsite(record.callsite, cwd),
        "span_id": format(facts.span_id, "016x"),
        "parent_span_id": format(parent, "016x") if parent else None,
        "trace_id": format(facts.trace_id, "032x"),
    }


def _callsite(
    site: tuple[str | None, int | None, str | None] | None, cwd: str
) -> dict[str, Any] | None:
    if site is None:
        return None
    path, line, function = site
    if isinstance(path, str):
        path = _display_path(path, cwd)
    return {"file": path, "line": line, "function": function}


@functools.lru_cache(maxsize=4096)  # a run has few call sites and many spans
def _display_path(path: str, cwd: str) -> str:
    """Relative to the working directory, as in aiobs; a file outside it keeps
    its absolute path rather than a chain of "../"."""
    if not os.path.isabs(path):
        return path
    path = os.path.normpath(path)  # "/a/b/../app.py" when run as "python ../app.py"
    with contextlib.suppress(ValueError):  # another drive, on Windows
        relative = os.path.relpath(path, cwd)
        if not relative.startswith(os.pardir):
            return relative
    return path


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
        "generated_at": time.time(),
        "version": 1,
        # Added to aiobs's document (its models ignore keys they do not know):
        "cost_totals": cost_totals(conversion.events + conversion.function_events, sessions),
        "evaluations": conversion.evaluations,
        "trace_links": conversion.trace_links or {"continues": [], "handoffs": {}},
    }
