"""Buffered records to ObservabilityExport events, one record at a time.

Both ways of writing an export go through here: the whole document as a dict
(``document``: for exporters that take the model) and the JSON stream written
event by event (``stream``: the file). ``ExportIndex`` is the first pass over
a flush's records, cheap and small: which span ids become events, where
each event hangs (through spans of other instrumentations: ``bridges``),
which evaluations go on which event, which late completions fold into which
call, and the sessions involved. ``ExportIndex.events_for`` then turns one
record into its event dicts with nothing else held in memory.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..records import SpanRecord

ErrorHook = Callable[[SpanRecord], None]


@dataclass
class ExportIndex:
    records: list[SpanRecord]  # those with facts, in buffer order
    bridges: Mapping[int, int]
    exported: set[int]  # span ids that become events (evaluations are attached, not events)
    session_ids: set[str]
    trace_links: dict[str, Any]
    cwd: str
    # evaluated event's span id (hex) -> its evaluations, in start order
    evaluations_by_event: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # evaluations whose evaluated event is not in this export (an earlier flush)
    orphan_evaluations: list[dict[str, Any]] = field(default_factory=list)
    # span id of a call -> the records that report its completion (a Veo poll)
    completions: dict[int, list[SpanRecord]] = field(default_factory=dict)
    folded: set[int] = field(default_factory=set)  # id() of records merged into another

    def takes_part(self, record: SpanRecord) -> bool:
        """Whether ``record`` is written at its own place (not an evaluation,
        not a completion folded into its call)."""
        return getattr(record, "attachment", None) is None and id(record) not in self.folded

    def events_for(self, record: SpanRecord, on_error: ErrorHook | None) -> list[dict[str, Any]]:
        """``record``'s event, with its completions folded in and its
        evaluations attached; ``[]`` if it cannot be converted (reported
        through ``on_error``), and then its completions stay events."""
        event = self._convert(record, on_error)
        later = self.completions.get(record.facts.span_id) if record.facts else None
        if event is None:
            if record.facts is not None:
                entries = self.evaluations_by_event.pop(format(record.facts.span_id, "016x"), [])
                self.orphan_evaluations += [
                    {**e, "session_id": record.facts.session_id} for e in entries
                ]
            return [e for r in later or () if (e := self._convert(r, on_error)) is not None]
        for completion in later or ():
            done = self._convert(completion, on_error)
            if done is not None:
                event["response"] = {**(event.get("response") or {}),
                                     **(done.get("response") or {})}  # fmt: skip
                if done.get("error") and not event.get("error"):
                    event["error"] = done["error"]
        evaluations = self.evaluations_by_event.get(event["span_id"])
        if evaluations:
            event["evaluations"] = list(evaluations)
        return [event]

    def _convert(self, record: SpanRecord, on_error: ErrorHook | None) -> dict[str, Any] | None:
        facts = record.facts
        assert facts is not None
        try:
            event = record.event_fields()
            event.update(common_fields(record, self.bridges, self.exported, self.cwd))
        except Exception:
            if on_error is not None:
                on_error(record)
            return None
        event["session_id"] = facts.session_id
        return event


def build_index(
    records: Iterable[SpanRecord],
    bridges: Mapping[int, int],
    remote_parents: Mapping[int, int] | None = None,
) -> ExportIndex:
    kept: list[SpanRecord] = []
    attached: list[SpanRecord] = []
    exported: set[int] = set()
    session_ids: set[str] = set()
    for record in records:
        facts = record.facts
        if facts is None:
            continue
        kept.append(record)
        if getattr(record, "attachment", None) is not None:
            attached.append(record)
        else:
            exported.add(facts.span_id)
            session_ids.add(facts.session_id)
    index = ExportIndex(
        records=kept, bridges=bridges, exported=exported, session_ids=session_ids,
        trace_links=trace_links(bridges, exported, remote_parents or {}), cwd=os.getcwd(),
    )  # fmt: skip
    if attached:
        _index_evaluations(index, attached)
    for record in kept:
        completes = getattr(record, "completes_span_id", None)
        facts = record.facts
        if completes and facts and completes in exported and completes != facts.span_id:
            index.completions.setdefault(completes, []).append(record)
            index.folded.add(id(record))
    return index


def _index_evaluations(index: ExportIndex, attached: list[SpanRecord]) -> None:
    """Each evaluation onto its evaluated event (in start order); one whose
    event is not in this export is listed at the top level."""
    exported_hex = {format(span_id, "016x") for span_id in index.exported}
    entries = []
    for record in attached:
        facts = record.facts
        assert facts is not None
        evaluated, entry = record.attachment()  # type: ignore[attr-defined]
        entries.append((facts.start_ns, evaluated, entry, facts.session_id))
    for _, evaluated, entry, session_id in sorted(entries, key=lambda e: e[0]):
        if evaluated in exported_hex:
            index.evaluations_by_event.setdefault(evaluated, []).append(entry)
        else:
            index.orphan_evaluations.append({**entry, "session_id": session_id})
            index.session_ids.add(session_id)


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


def common_fields(
    record: SpanRecord, bridges: Mapping[int, int], exported: set[int], cwd: str
) -> dict[str, Any]:
    """What every event has: error, times, callsite and ids."""
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
