"""Pure functions for joining exports: continuations of remote parents, the
exported anchor of a left-out span, and the viewer-side join."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel.http import continue_trace
from aiobs_otel.http.trace_links import anchor, continuations
from aiobs_otel.viewer.join import join_traces

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
tracer = trace.get_tracer("tests.trace_links")


def test_local_roots_with_a_remote_parent_are_continuations(spans: InMemorySpanExporter) -> None:
    with continue_trace({"traceparent": TRACEPARENT}):
        with tracer.start_as_current_span("root-1"), tracer.start_as_current_span("child"):
            pass
        with tracer.start_as_current_span("root-2"):
            pass
    with tracer.start_as_current_span("unrelated"):
        pass
    finished = spans.get_finished_spans()
    ids = {s.name: format(s.context.span_id, "016x") for s in finished}
    [found] = continuations(finished)
    assert (found.trace_id, found.parent_span_id) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )
    assert found.root_span_ids == (ids["root-1"], ids["root-2"])


def test_anchor_walks_up_to_the_nearest_exported_span() -> None:
    bridges = {3: 2, 2: 1}
    assert anchor(3, bridges, {1}) == 1
    assert anchor(3, bridges, {2, 1}) == 2
    assert anchor(1, bridges, {1}) == 1
    assert anchor(3, bridges, set()) is None
    assert anchor(5, {5: 6, 6: 5}, set()) is None  # a cycle ends


def event(span: str, parent: str | None, trace: str = "t1", at: float = 0.0) -> dict[str, object]:
    return {"span_id": span, "parent_span_id": parent, "trace_id": trace, "started_at": at}


def test_join_builds_one_tree_per_trace_across_documents() -> None:
    a = {
        "function_events": [event("a1", None, at=1), event("a2", "a1", at=2)],
        "events": [event("x1", None, trace="t2", at=0)],
        "trace_links": {"handoffs": {"h1": "a2"}},
    }
    b = {"function_events": [event("b1", "h1", at=3)], "events": [event("b2", "b1", at=4)]}
    first, second = join_traces([a, b])
    assert (first.trace_id, second.trace_id) == ("t2", "t1")
    [root] = second.roots
    assert root.span_id == "a1"
    [a2] = root.children
    [b1] = a2.children
    assert (b1.span_id, b1.source, [c.span_id for c in b1.children]) == ("b1", 1, ["b2"])
    assert second.sources == {0, 1} and first.sources == {0}


def test_join_without_links_keeps_each_part_as_a_root() -> None:
    [joined] = join_traces(
        [{"function_events": [event("a1", None)]}, {"events": [event("b1", "h1", at=1)]}]
    )
    assert [r.span_id for r in joined.roots] == ["a1", "b1"]
