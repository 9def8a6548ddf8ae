"""Where a process's part of a trace joins the rest: pure functions over
finished spans, for an export that names the trace it continues.

A service that continues a trace has *local roots* whose parent is remote
(``span.parent.is_remote``): ``continuations()`` lists them by trace id and
remote parent span id. The calling service's side of the join is the HTTP
client span its callee names as parent; that span is not an event of its
export, so ``anchor()`` finds the nearest ancestor that is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan


@dataclass(frozen=True)
class Continuation:
    """Local roots continuing one remote parent (ids in hex, as in the export)."""

    trace_id: str
    parent_span_id: str
    root_span_ids: tuple[str, ...]


def continuations(spans: Iterable[ReadableSpan]) -> list[Continuation]:
    """The remote parents this process continued, in first-seen order."""
    found: dict[tuple[int, int], list[str]] = {}
    for span in spans:
        parent = span.parent
        if span.context is None or parent is None or not parent.is_remote:
            continue
        key = (span.context.trace_id, parent.span_id)
        found.setdefault(key, []).append(format(span.context.span_id, "016x"))
    return [
        Continuation(format(trace_id, "032x"), format(parent_id, "016x"), tuple(roots))
        for (trace_id, parent_id), roots in found.items()
    ]


def anchor(span_id: int, bridges: Mapping[int, int], exported: Set[int]) -> int | None:
    """The nearest ancestor of ``span_id`` (itself included) that is in
    ``exported``, walking ``bridges`` (span id -> parent id of spans that are
    not events); None when the chain leaves the process first."""
    current: int | None = span_id
    for _ in range(256):  # a corrupt map must not loop forever
        if current is None:
            return None
        if current in exported:
            return current
        current = bridges.get(current)
    return None
