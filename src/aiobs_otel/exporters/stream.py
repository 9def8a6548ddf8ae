"""The export written as a stream: each event converted, encoded and written once.

The document's ``events`` and ``function_events`` are written record by
record (``conversion.ExportIndex.events_for``), so only one event is held in
memory at a time; what the rest of the document needs from each event is
kept in a small ``_Node``: where its bytes are in the output, its ids, its
start, its cost. ``trace_tree`` repeats every event as a node: the node is
the event's own bytes, read back from the output, with ``event_type`` and
``children`` appended, so no event is converted or encoded twice.

The output is the same document ``document.assemble`` builds (the tests
compare them), written compact: ``json.dumps``'s default separators.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from ..cost import CostTotals
from .conversion import ErrorHook, ExportIndex
from .encoding import json_bytes

Transform = Callable[[Any], Any]  # applied to every part before it is encoded (masking)


@dataclass(slots=True)
class _Node:
    offset: int
    length: int
    span_id: str | None
    parent_id: str | None
    started_at: float
    is_function: bool
    enh_prompt_id: str | None


class _Output:
    """Bytes out, counted, and read back (a file by ``pread``, else its buffer)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.offset = 0
        self._start = handle.tell()
        self._fd: int | None = None
        try:
            self._fd = handle.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self._fd = None

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.offset += len(data)

    def ready_to_read(self) -> None:
        self.handle.flush()

    def read(self, offset: int, length: int) -> bytes:
        position = self._start + offset
        if self._fd is not None:
            return os.pread(self._fd, length, position)
        with self.handle.getbuffer() as view:  # type: ignore[attr-defined]  # a BytesIO
            return bytes(view[position : position + length])


def _encoded(value: Any) -> bytes:
    return json_bytes(value, indent=None)


def write_export(
    handle: IO[bytes],
    index: ExportIndex,
    sessions: list[dict[str, Any]],
    *,
    include_trace_tree: bool,
    generated_at: float,
    on_error: ErrorHook | None = None,
    transform: Transform | None = None,
) -> tuple[int, int]:
    """Write the export to ``handle`` (a file opened for reading and writing,
    or a BytesIO); returns (bytes written, events written)."""
    same: Transform = transform or (lambda value: value)
    out = _Output(handle)
    nodes: list[_Node] = []
    costs = CostTotals()  # summed as events pass: none is kept
    out.write(b'{"sessions": ' + _encoded(same(sessions)))
    for key, functions in ((b"events", False), (b"function_events", True)):
        out.write(b', "' + key + b'": [')
        _write_events(out, index, functions, nodes, costs, on_error, same)
        out.write(b"]")
    out.write(b', "trace_tree": ')
    if include_trace_tree:
        traces = _write_tree(out, nodes)
    else:
        out.write(b"null")
        by_start = sorted((n for n in nodes if n.is_function), key=lambda n: n.started_at)
        traces = [n.enh_prompt_id for n in by_start if n.enh_prompt_id]
    tail = [
        (b"enh_prompt_traces", traces or None),
        (b"generated_at", generated_at),
        (b"version", 1),
        (b"cost_totals", same(costs.as_dict(sessions))),
        (b"evaluations", same(index.orphan_evaluations)),
        (b"trace_links", same(index.trace_links)),
    ]
    for key, value in tail:
        out.write(b', "' + key + b'": ' + _encoded(value))
    out.write(b"}")
    return out.offset, len(nodes)


def _write_events(out: _Output, index: ExportIndex, functions: bool, nodes: list[_Node],
                  costs: CostTotals, on_error: ErrorHook | None,
                  transform: Transform) -> None:  # fmt: skip
    first = True
    for record in index.records:
        if bool(record.is_function) != functions or not index.takes_part(record):
            continue
        for event in index.events_for(record, on_error):
            costs.add(event)  # the totals are of the recorded values, as in the document
            data = _encoded(transform(event))
            if not first:
                out.write(b", ")
            first = False
            enh = event.get("enh_prompt_id") if event.get("enh_prompt") is True else None
            nodes.append(_Node(out.offset, len(data), event.get("span_id"),
                               event.get("parent_span_id"), event.get("started_at", 0.0),
                               event.get("provider") == "function", enh))  # fmt: skip
            out.write(data)


def _forest(nodes: list[_Node]) -> tuple[list[int], list[list[int]]]:
    """Roots and each node's children (indices), sorted by start, as
    ``document.build_trace_tree`` links them."""
    by_span = {n.span_id: i for i, n in enumerate(nodes) if n.span_id}
    children: list[list[int]] = [[] for _ in nodes]
    roots: list[int] = []
    for i, node in enumerate(nodes):
        parent = by_span.get(node.parent_id or "")
        (children[parent] if parent is not None else roots).append(i)
    start = [n.started_at for n in nodes]
    roots.sort(key=start.__getitem__)
    for level in children:
        if len(level) > 1:
            level.sort(key=start.__getitem__)
    return roots, children


def _write_tree(out: _Output, nodes: list[_Node]) -> list[str]:
    """The forest, depth-first; returns the enh_prompt ids in that order."""
    out.ready_to_read()
    roots, children = _forest(nodes)
    traces: list[str] = []
    out.write(b"[")
    stack = [iter(roots)]
    first = [True]
    while stack:
        index = next(stack[-1], None)
        if index is None:
            stack.pop()
            first.pop()
            out.write(b"]}" if stack else b"]")
            continue
        if not first[-1]:
            out.write(b", ")
        first[-1] = False
        node = nodes[index]
        if node.enh_prompt_id:
            traces.append(node.enh_prompt_id)
        event = out.read(node.offset, node.length)
        kind = b'"function"' if node.is_function else b'"provider"'
        separator = b", " if len(event) > 2 else b""
        out.write(event[:-1] + separator + b'"event_type": ' + kind + b', "children": [')
        stack.append(iter(children[index]))
        first.append(True)
    return traces
