"""Cost totals for the JSON export: all calls, per session, per label set, per label.

Pure: it reads JSON event dicts (``cost`` and ``session_id``) and session dicts
(``id`` and ``labels``). An event whose ``cost`` is ``null`` counts as
unpriced; an event without a ``cost`` key (a plain function event) is not a
call and is not counted. System labels (``aiobs_*``: host, versions) are left
out of the label sets: they describe the machine, not who to bill.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

_SYSTEM_LABEL_PREFIX = "aiobs_"
_DIGITS = 12  # sums of floats are rounded: 0.1 + 0.2 shows as 0.3


class _Sum:
    def __init__(self) -> None:
        self.amounts: dict[str, list[float]] = {}
        self.priced = 0
        self.unpriced = 0

    def add(self, cost: Mapping[str, Any] | None) -> None:
        if cost is None:
            self.unpriced += 1
            return
        currency = str(cost.get("currency") or "USD")
        self.amounts.setdefault(currency, []).append(float(cost.get("total") or 0.0))
        self.priced += 1

    def as_dict(self) -> dict[str, Any]:
        amount = {c: round(math.fsum(v), _DIGITS) for c, v in sorted(self.amounts.items())}
        return {"amount": amount, "priced_calls": self.priced, "unpriced_calls": self.unpriced}


class CostTotals:
    """The totals, filled one event at a time (a streamed export keeps no events)."""

    def __init__(self) -> None:
        self.total = _Sum()
        self.by_session: dict[str, _Sum] = {}

    def add(self, event: Mapping[str, Any]) -> None:
        if "cost" not in event:
            return  # a plain function event: not a call
        cost = event["cost"]
        cost = cost if isinstance(cost, Mapping) else None
        self.total.add(cost)
        session_id = event.get("session_id")
        if isinstance(session_id, str):
            self.by_session.setdefault(session_id, _Sum()).add(cost)

    def as_dict(self, sessions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        labels_of = {str(s.get("id")): _user_labels(s.get("labels")) for s in sessions}
        return {
            "total": self.total.as_dict(),
            "by_session": {sid: s.as_dict() for sid, s in sorted(self.by_session.items())},
            "by_label_set": _by_label_set(self.by_session, labels_of),
            "by_label": _by_label(self.by_session, labels_of),
        }


def cost_totals(
    events: Iterable[Mapping[str, Any]], sessions: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """``{"total", "by_session", "by_label_set", "by_label"}``; each entry is
    ``{"amount": {currency: sum}, "priced_calls": n, "unpriced_calls": m}``.

    ``by_label_set`` is a list of ``{"labels": {...}, "session_ids": [...], ...}``
    (sessions with the same user labels together); ``by_label`` maps each label
    key to its values' entries (``by_label["team"]["ml"]``)."""
    totals = CostTotals()
    for event in events:
        totals.add(event)
    return totals.as_dict(sessions)


def _user_labels(labels: object) -> dict[str, str]:
    if not isinstance(labels, Mapping):
        return {}
    return {
        str(k): str(v) for k, v in labels.items() if not str(k).startswith(_SYSTEM_LABEL_PREFIX)
    }


def _merge(into: _Sum, other: _Sum) -> None:
    for currency, values in other.amounts.items():
        into.amounts.setdefault(currency, []).extend(values)
    into.priced += other.priced
    into.unpriced += other.unpriced


def _by_label_set(
    by_session: Mapping[str, _Sum], labels_of: Mapping[str, dict[str, str]]
) -> list[dict[str, Any]]:
    groups: dict[tuple[tuple[str, str], ...], tuple[_Sum, list[str]]] = {}
    for session_id, sums in by_session.items():
        key = tuple(sorted(labels_of.get(session_id, {}).items()))
        group, members = groups.setdefault(key, (_Sum(), []))
        _merge(group, sums)
        members.append(session_id)
    return [
        {"labels": dict(key), "session_ids": sorted(members), **group.as_dict()}
        for key, (group, members) in sorted(groups.items())
    ]


def _by_label(
    by_session: Mapping[str, _Sum], labels_of: Mapping[str, dict[str, str]]
) -> dict[str, dict[str, Any]]:
    sums: dict[str, dict[str, _Sum]] = {}
    for session_id, session_sum in by_session.items():
        for key, value in labels_of.get(session_id, {}).items():
            _merge(sums.setdefault(key, {}).setdefault(value, _Sum()), session_sum)
    return {
        key: {value: s.as_dict() for value, s in sorted(values.items())}
        for key, values in sorted(sums.items())
    }
