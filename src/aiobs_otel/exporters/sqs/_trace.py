"""The spans of one trace as llmops-observability's trace document (the README's
"Decompressed SDK Trace Data Schema"): trace fields, ``spans[]``, totals, sdk."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from ... import attributes as A
from ...version import __version__
from ._content import parse_json
from ._spans import seconds, span_record
from ._wire import trace_key

SDK_NAME = "aiobs-otel"
# llmops-observability's defaults when neither a label nor a variable says.
DEFAULT_ENVIRONMENT = "development"
DEFAULT_PROJECT_ID = "unknown_project"
ENVIRONMENT_LABEL = A.AIOBS_LABEL_PREFIX + "environment"
PROJECT_LABEL = A.AIOBS_LABEL_PREFIX + "project_id"

# Why a message was sent (the "segment" field):
COMPLETE = "complete"  # the trace's local root ended
PARTIAL = "partial"  # sent before its local root ended (open too long, memory, shutdown)
LATE = "late"  # spans that ended after their trace had been sent


@dataclass(frozen=True)
class ProcessDefaults:
    """What the environment says, read once: llmops's ``LLMOPS_ENV`` / ``ENV`` and
    ``LLMOPS_PROJECT_ID`` / ``PROJECT_ID``."""

    environment: str | None = None
    project_id: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProcessDefaults:
        env = os.environ if environ is None else environ
        return cls(
            environment=env.get("LLMOPS_ENV") or env.get("ENV") or None,
            project_id=env.get("LLMOPS_PROJECT_ID") or env.get("PROJECT_ID") or None,
        )


def is_local_root(span: ReadableSpan) -> bool:
    return span.parent is None or span.parent.is_remote


# A span with its attributes as a plain dict: read once, looked up many times
# (the SDK's attribute mapping answers lookups far more slowly).
Item = tuple[ReadableSpan, dict[str, Any]]


def _ordered(spans: Sequence[ReadableSpan]) -> list[Item]:
    """Local roots first (they carry the labels and usually the trace context),
    then the others by start time: the order in which trace fields are looked up."""
    ordered = sorted(spans, key=lambda s: (not is_local_root(s), s.start_time or 0))
    return [(span, dict(span.attributes or {})) for span in ordered]


def _first(items: Sequence[Item], name: str) -> Any:
    for _, attributes in items:
        value = attributes.get(name)
        if value is not None and value != "":
            return value
    return None


def environment_and_project(
    items: Sequence[Item], resource: Mapping[str, Any], defaults: ProcessDefaults
) -> tuple[str, str]:
    """Labels first (the trace's own, then the Resource's), then the variables, then
    the Resource's ``deployment.environment.name``, then llmops's defaults."""
    environment = (
        _first(items, ENVIRONMENT_LABEL)
        or resource.get(ENVIRONMENT_LABEL)
        or defaults.environment
        or resource.get("deployment.environment.name")
        or resource.get("deployment.environment")
        or DEFAULT_ENVIRONMENT
    )
    project = (
        _first(items, PROJECT_LABEL)
        or resource.get(PROJECT_LABEL)
        or defaults.project_id
        or DEFAULT_PROJECT_ID
    )
    return str(environment), str(project)


def _tags(items: Sequence[Item]) -> list[str]:
    seen: dict[str, None] = {}
    for _, attributes in items:
        value = attributes.get(A.AIOBS_TRACE_TAGS)
        tags = [value] if isinstance(value, str) else value if isinstance(value, Sequence) else ()
        for tag in tags:
            seen.setdefault(str(tag), None)
    return list(seen)


def _metadata(items: Sequence[Item]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for _, attributes in reversed(items):  # the first spans (the roots) win
        value = parse_json(attributes.get(A.AIOBS_TRACE_METADATA))
        if isinstance(value, dict):
            merged.update(value)
    return merged


def _labels(items: Sequence[Item], resource: Mapping[str, Any]) -> dict[str, str]:
    prefix = A.AIOBS_LABEL_PREFIX
    for span, attributes in items:
        if is_local_root(span) and any(k.startswith(prefix) for k in attributes):
            source: Mapping[str, Any] = attributes
            break
    else:
        source = resource
    return {k[len(prefix) :]: str(v) for k, v in source.items() if k.startswith(prefix)}


def totals(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """token_usage, cost, total_spans, total_generations over ``records``."""
    tokens_in = sum(r["usage"]["input_tokens"] for r in records if r.get("usage"))
    tokens_out = sum(r["usage"]["output_tokens"] for r in records if r.get("usage"))
    costs: dict[str, float] = {}
    for record in records:
        cost = record.get("cost")
        if cost:
            costs[cost["currency"]] = costs.get(cost["currency"], 0.0) + cost["total_cost"]
    cost_total: dict[str, Any] | None = None
    if costs:
        currency = "USD" if "USD" in costs else next(iter(costs))
        cost_total = {"total_cost": costs[currency], "currency": currency}
        if len(costs) > 1:
            cost_total["by_currency"] = costs
    return {
        "token_usage": {
            "total_input_tokens": tokens_in,
            "total_output_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
        "cost": cost_total,
        "total_spans": len(records),
        "total_generations": sum(1 for r in records if r["span_type"] == "generation"),
    }


def trace_document(
    spans: Sequence[ReadableSpan],
    *,
    segment: str,
    defaults: ProcessDefaults,
    known_name: str | None = None,
) -> dict[str, Any]:
    """The trace document of ``spans`` (all of one trace). ``known_name``: the name
    the trace was sent under before (for a late segment, whose root is not here)."""
    ordered = _ordered(spans)
    first_span = ordered[0][0]
    resource = first_span.resource.attributes if first_span.resource else {}
    environment, project = environment_and_project(ordered, resource, defaults)
    records = sorted(
        (span_record(s, a, environment=environment, project_id=project) for s, a in ordered),
        key=lambda r: (r["start_time"] or 0.0, r["span_id"]),
    )
    context = first_span.get_span_context()
    trace_id = format(context.trace_id, "032x") if context else ""
    roots = [s for s, _ in ordered if is_local_root(s)]
    starts = [s.start_time for s in spans if s.start_time is not None]
    ends = [s.end_time for s in spans if s.end_time is not None]
    start, end = (min(starts) if starts else 0), (max(ends) if ends else 0)
    name = _first(ordered, A.AIOBS_TRACE_NAME) or (roots[0].name if roots else None)
    document: dict[str, Any] = {
        "trace_id": trace_id,
        "trace_name": str(name or known_name or first_span.name),
        "project_id": project,
        "environment": environment,
        "user_id": _first(ordered, A.USER_ID),
        "session_id": _first(ordered, A.GEN_AI_CONVERSATION_ID),
        "start_time": seconds(start),
        "end_time": seconds(end),
        "duration_ms": round((end - start) / 1e6),
        "trace_input": parse_json(_first(ordered, A.AIOBS_TRACE_INPUT)),
        "trace_output": parse_json(_first(ordered, A.AIOBS_TRACE_OUTPUT)),
        **totals(records),
        "spans": records,
        "metadata": _metadata(ordered),
        "tags": _tags(ordered),
        "labels": _labels(ordered, resource),
        "service_name": resource.get("service.name"),
        "aiobs_session_id": _first(ordered, A.SESSION_ID),
        "segment": segment,
        "is_child_segment": segment == LATE,
        "truncated": False,
        "idempotency_key": trace_key(trace_id, (r["span_id"] for r in records)),
        "sdk_name": SDK_NAME,
        "sdk_version": __version__,
    }
    return document
