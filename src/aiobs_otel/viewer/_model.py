"""An ObservabilityExport read back as sessions of nested nodes, ready to draw.

The tree is rebuilt from ``events`` and ``function_events`` by span ids rather
than read from ``trace_tree``, which is optional (``include_trace_tree=False``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..exporters.models import ObservabilityExport, Session

NO_SESSION = "(no session)"


class ViewerInputError(Exception):
    """The file is missing, is not JSON, or is not an ObservabilityExport; one line."""


@dataclass
class Node:
    kind: str  # "function" | "provider"
    title: str  # "research" or "openai chat.completions.create"
    model: str | None
    started_at: float
    duration_ms: float
    error: str | None
    tokens: str | None  # "12 in -> 40 out (6 cached)"
    preview: str | None  # the answer's first words, or the function's result
    detail: dict[str, Any]  # what the HTML page shows when a row is opened
    span_id: str | None
    parent_span_id: str | None
    session_id: str
    children: list[Node] = field(default_factory=list)
    span_kind: str = "function"  # a function node's kind: generation, agent, tool, trace...
    trace_id: str | None = None
    source: str | None = None  # the file it came from, when several are shown
    cost: str | None = None  # "$0.000123"
    evaluations: list[str] = field(default_factory=list)  # "correctness: correct (1.0)"

    def walk(self, depth: int = 0) -> list[tuple[int, Node]]:
        """This node and its descendants, depth-first, with their depth."""
        rows = [(depth, self)]
        for child in self.children:
            rows.extend(child.walk(depth + 1))
        return rows


@dataclass
class SessionView:
    session: Session | None
    roots: list[Node]
    label: str | None = None  # instead of the session's name (one trace across files)

    @property
    def title(self) -> str:
        if self.label is not None:
            return self.label
        if self.session is None:
            return NO_SESSION
        if self.session.name and self.session.name != self.session.id:
            return f"{self.session.name} ({self.session.id[:8]})"
        return self.session.id


def load_export(path: str) -> ObservabilityExport:
    """Read and validate a file; ``ViewerInputError`` with a one-line reason otherwise."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ViewerInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ViewerInputError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ViewerInputError(f"{path}: not JSON ({exc})") from None
    try:
        return ObservabilityExport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ViewerInputError(
            f"{path}: not an ObservabilityExport ({exc.error_count()} problem(s); "
            f"first: {where}: {first['msg']})"
        ) from None


def build_views(export: ObservabilityExport, *, by_trace: bool = False) -> list[SessionView]:
    """Sessions in start order, each with its forest of nodes (children by
    start); ``by_trace``: one view per trace instead (files of several services)."""
    roots = _forest(export)
    if by_trace:
        traces: dict[str, list[Node]] = {}
        for root in sorted(roots, key=_start):
            traces.setdefault(root.trace_id or "?", []).append(root)
        return [SessionView(None, found, label=f"trace {trace_id}")
                for trace_id, found in traces.items()]  # fmt: skip
    sessions = sorted(export.sessions, key=lambda s: s.started_at)
    known = {s.id for s in sessions}
    views = [
        SessionView(s, sorted((r for r in roots if r.session_id == s.id), key=_start))
        for s in sessions
    ]
    orphans = sorted((r for r in roots if r.session_id not in known), key=_start)
    if orphans:
        views.append(SessionView(None, orphans))
    return views


def _forest(export: ObservabilityExport) -> list[Node]:
    nodes = [_provider_node(e.model_dump()) for e in export.events]
    nodes += [_function_node(e.model_dump()) for e in export.function_events]
    by_span = {n.span_id: n for n in nodes if n.span_id}
    roots: list[Node] = []
    for node in nodes:
        parent = by_span.get(node.parent_span_id or "")
        (parent.children if parent is not None and parent is not node else roots).append(node)
    for node in nodes:
        node.children.sort(key=lambda n: n.started_at)
    return roots


def _start(node: Node) -> float:
    return node.started_at


def _function_node(event: dict[str, Any]) -> Node:
    model = event.get("model")
    return Node(
        kind="function",
        title=str(event.get("name") or event.get("api")),
        model=str(model) if model else None,
        started_at=event["started_at"],
        duration_ms=event["duration_ms"],
        error=event.get("error"),
        tokens=_tokens(event.get("usage")),
        preview=_short(event.get("result")),
        detail={k: event.get(k) for k in ("api", "args", "kwargs", "result", "error", "callsite")},
        span_id=event.get("span_id"),
        parent_span_id=event.get("parent_span_id"),
        session_id=event["session_id"],
        span_kind=str(event.get("kind") or "function"),
        trace_id=event.get("trace_id"),
        source=event.get("source"),
        cost=format_cost(event.get("cost")),
        evaluations=[_evaluation(e) for e in event.get("evaluations") or ()],
    )


def _provider_node(event: dict[str, Any]) -> Node:
    request = _as_dict(event.get("request"))
    response = _as_dict(event.get("response"))
    model = request.get("model") or response.get("model")
    title = f"{event['provider']} {event['api']}"
    if (request.get("other") or {}).get("stream") is True:
        title += " (stream)"
    preview = response.get("text")
    if preview is None and response.get("operation_name"):
        preview = _operation_state(response)
    return Node(
        kind="provider",
        title=title,
        model=str(model) if model else None,
        started_at=event["started_at"],
        duration_ms=event["duration_ms"],
        error=event.get("error"),
        tokens=_tokens(response.get("usage")),
        preview=_short(preview),
        detail={k: event.get(k) for k in ("request", "response", "error", "callsite")},
        span_id=event.get("span_id"),
        parent_span_id=event.get("parent_span_id"),
        session_id=event["session_id"],
        trace_id=event.get("trace_id"),
        source=event.get("source"),
        cost=format_cost(event.get("cost")),
        evaluations=[_evaluation(e) for e in event.get("evaluations") or ()],
    )


def format_cost(cost: Any) -> str | None:
    """``$0.000123`` (or the currency's code) for an event's ``cost``; None without one."""
    if not isinstance(cost, dict) or not isinstance(cost.get("total"), (int, float)):
        return None
    currency = cost.get("currency") or "USD"
    prefix = "$" if currency == "USD" else f"{currency} "
    return f"{prefix}{cost['total']:.6f}".rstrip("0").rstrip(".")


def total_cost(export: ObservabilityExport) -> str | None:
    """The export's total cost (``cost_totals``), as one phrase."""
    totals = (export.model_extra or {}).get("cost_totals") or {}
    amounts = (totals.get("total") or {}).get("amount") or {}
    parts = [format_cost({"total": v, "currency": c}) for c, v in sorted(amounts.items())]
    return " + ".join(p for p in parts if p) or None


def _evaluation(entry: Any) -> str:
    if not isinstance(entry, dict):
        return str(entry)
    if entry.get("error"):
        return f"{entry.get('name')}: failed ({entry['error']})"
    verdict = entry.get("label") or ""
    if entry.get("score") is not None:
        verdict = f"{verdict} ({entry['score']})" if verdict else str(entry["score"])
    return f"{entry.get('name')}: {verdict}"


def _operation_state(response: dict[str, Any]) -> str:
    """``done, 1 video: gs://...`` for a long-running video operation."""
    if not response.get("done"):
        return f"running: {response['operation_name']}"
    videos = [v for v in response.get("generated_videos") or [] if isinstance(v, dict)]
    state = f"done, {len(videos)} video(s)"
    # aiobs's shape nests each video under "video"
    first = (
        (_as_dict(videos[0].get("video")).get("uri") or videos[0].get("uri")) if videos else None
    )
    return f"{state}: {first}" if first else state


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_INPUT_KEYS = ("prompt_tokens", "input_tokens", "prompt_token_count", "promptTokenCount")
_OUTPUT_KEYS = (
    "completion_tokens",
    "output_tokens",
    "candidates_token_count",
    "candidatesTokenCount",
)


def _first(usage: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((usage[k] for k in keys if isinstance(usage.get(k), int)), None)


def _tokens(usage: Any) -> str | None:
    """Token counts in one short phrase, whichever provider spelling the usage has."""
    if not isinstance(usage, dict):
        return None
    inp, out = _first(usage, _INPUT_KEYS), _first(usage, _OUTPUT_KEYS)
    if inp is None and out is None:
        total = usage.get("total_tokens")
        return f"{total} tokens" if isinstance(total, int) else None
    text = f"{inp if inp is not None else '?'} in"
    if out is not None:
        text += f" -> {out} out"
    cached = _as_dict(usage.get("prompt_tokens_details")).get("cached_tokens")
    if cached is None:
        cached = usage.get("cached_content_token_count")
    if cached:
        text += f" ({cached} cached)"
    return text


def _short(value: Any, limit: int = 80) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_duration(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms" if ms >= 1 else f"{ms * 1000:.0f} µs"
