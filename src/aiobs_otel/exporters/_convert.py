"""Finished spans to the ObservabilityExport document (plain dicts, JSON-ready).

Only our own spans become events: provider calls (looked up in
``EVENT_SPECS``) and ``@observe`` functions. Any other span in between (an
HTTP client span, a database span) is skipped, and whatever hangs below it is
re-parented to the nearest exported ancestor through ``bridges``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from .. import attributes as A
from ._event_specs import (
    EVENT_SPECS,
    MISSING,
    load_json,
    render,
    request_extra,
    response_extra,
)


@dataclass
class Conversion:
    events: list[dict[str, Any]] = field(default_factory=list)
    function_events: list[dict[str, Any]] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)
    without_session: int = 0


def convert_spans(
    spans: Iterable[ReadableSpan],
    bridges: Mapping[int, int],
    on_error: Callable[[str], None] | None = None,
) -> Conversion:
    """Turn buffered spans into event dicts; a span that fails to convert is
    counted (and reported through ``on_error``), never fatal."""
    result = Conversion()
    cwd = os.getcwd()
    completions: list[tuple[dict[str, Any], str]] = []
    for span in spans:
        # One copy into a plain dict: the ~25 reads below are then C lookups
        # rather than Mapping.get on the SDK's attribute proxy.
        attrs = dict(span.attributes or {})
        session_id = attrs.get(A.SESSION_ID)
        if not isinstance(session_id, str):
            result.without_session += 1
            continue
        try:
            converted = _convert_one(span, attrs, bridges, cwd)
        except Exception:
            if on_error is not None:
                on_error(span.name)
            continue
        if converted is None:
            continue
        is_function, event = converted
        event["session_id"] = session_id
        result.session_ids.add(session_id)
        (result.function_events if is_function else result.events).append(event)
        completes = attrs.get(A.AIOBS_COMPLETES_SPAN_ID)
        if isinstance(completes, str) and not is_function:
            completions.append((event, completes))
    if completions:
        _merge_completions(result.events, completions)
    return result


def _merge_completions(
    events: list[dict[str, Any]], completions: list[tuple[dict[str, Any], str]]
) -> None:
    """A span that reports the end of an earlier call (``aiobs.completes.span_id``,
    e.g. a Veo operation polled to done) is folded into that call's event when
    both are in this export: its response fields win, its error fills a gap.
    Otherwise it stays an event of its own."""
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


def _convert_one(
    span: ReadableSpan, attrs: Mapping[str, Any], bridges: Mapping[int, int], cwd: str
) -> tuple[bool, dict[str, Any]] | None:
    scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
    if scope == A.SCOPE_FUNCTIONS:
        return True, _function_event(span, attrs, bridges, cwd)
    key = (attrs.get(A.GEN_AI_PROVIDER_NAME), attrs.get(A.GEN_AI_OPERATION_NAME))
    spec = EVENT_SPECS.get(key)  # type: ignore[arg-type]
    if spec is None:
        return None
    request = render(spec.request, attrs)
    request.update(request_extra(attrs))
    response = render(spec.response, attrs)
    response.update(response_extra(attrs))
    event = {
        "provider": spec.provider,
        "api": spec.api,
        "request": request,
        "response": response or None,
    }
    event.update(_common(span, attrs, bridges, cwd))
    return False, event


def _function_event(
    span: ReadableSpan, attrs: Mapping[str, Any], bridges: Mapping[int, int], cwd: str
) -> dict[str, Any]:
    args = load_json(attrs.get(A.AIOBS_FUNCTION_ARGS))
    kwargs = load_json(attrs.get(A.AIOBS_FUNCTION_KWARGS))
    result = load_json(attrs.get(A.AIOBS_FUNCTION_RESULT))
    enh_prompt = bool(attrs.get(A.AIOBS_ENH_PROMPT, False))
    event: dict[str, Any] = {
        "provider": "function",
        "api": attrs.get(A.AIOBS_FUNCTION_QUALNAME, span.name),
        "name": attrs.get(A.AIOBS_FUNCTION_NAME, span.name),
        "module": attrs.get(A.AIOBS_FUNCTION_MODULE),
        "args": args if isinstance(args, list) else None,
        "kwargs": kwargs if isinstance(kwargs, dict) else None,
        "result": None if result is MISSING else result,
        "enh_prompt": enh_prompt,
        "enh_prompt_id": attrs.get(A.AIOBS_ENH_PROMPT_ID),
        "auto_enhance_after": attrs.get(A.AIOBS_AUTO_ENHANCE_AFTER),
    }
    event.update(_common(span, attrs, bridges, cwd))
    return event


def _common(
    span: ReadableSpan, attrs: Mapping[str, Any], bridges: Mapping[int, int], cwd: str
) -> dict[str, Any]:
    start = span.start_time or 0
    end = span.end_time or start
    context = span.context
    parent = span.parent.span_id if span.parent is not None else None
    # Walk up through skipped spans; the hop limit guards against a corrupt map.
    for _ in range(256):
        if parent is None or parent not in bridges:
            break
        parent = bridges[parent]
    return {
        "error": _error_text(span, attrs),
        "started_at": start / 1e9,
        "ended_at": end / 1e9,
        "duration_ms": round((end - start) / 1e6, 3),
        "callsite": _callsite(attrs, cwd),
        "span_id": format(context.span_id, "016x") if context else None,
        "parent_span_id": format(parent, "016x") if parent else None,
        "trace_id": format(context.trace_id, "032x") if context else None,
    }


def _error_text(span: ReadableSpan, attrs: Mapping[str, Any]) -> str | None:
    """``"ExcType: message"`` from the recorded exception, else from the status."""
    if span.status.status_code is not StatusCode.ERROR:
        return None
    for event in reversed(span.events):
        if event.name == "exception" and event.attributes:
            kind = str(event.attributes.get("exception.type", "Exception")).rsplit(".", 1)[-1]
            return f"{kind}: {event.attributes.get('exception.message', '')}"
    kind = attrs.get(A.ERROR_TYPE, "Error")
    return f"{kind}: {span.status.description or ''}"


def _callsite(attrs: Mapping[str, Any], cwd: str) -> dict[str, Any] | None:
    path = attrs.get(A.CODE_FILE_PATH)
    line = attrs.get(A.CODE_LINE_NUMBER)
    function = attrs.get(A.CODE_FUNCTION_NAME)
    if path is None and line is None and function is None:
        return None
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
    }
