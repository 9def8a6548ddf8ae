"""Evaluations in the JSON export: each evaluated event gets ``evaluations: [...]``.

Pure: the export hands over its evaluation spans (``span_id``,
``parent_span_id``, ``attributes``, ``started_at``) and gets, per evaluated span
id, the list of entries to put on that event. Each entry::

    {"name": "correctness", "score": 1.0, "label": "correct", "rationale": "...",
     "source": "llm_judge", "evaluator_metadata": {...}, "response_id": "chatcmpl-...",
     "error": null, "span_id": "<evaluation span>", "evaluated_span_id": "<event span>"}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import attributes as A
from ..records import SpanFacts
from ._recent import parse_span_id


def is_evaluation_span(attributes: Mapping[str, Any]) -> bool:
    """Whether a span with these attributes is an evaluation (attach it, do not
    make it an event of its own)."""
    return attributes.get(A.AIOBS_SPAN_KIND) == "evaluation"


def evaluation_entry(
    attributes: Mapping[str, Any], *, span_id: str, parent_span_id: str | None
) -> tuple[str | None, dict[str, Any]]:
    """``(evaluated span id, entry)`` for one evaluation span. The evaluated span
    is the one its attribute names when that is a span id, else its parent (an
    llmops-style free-form id is kept in the entry as given)."""
    named = attributes.get(A.AIOBS_EVALUATION_EVALUATED_SPAN_ID)
    named = named if isinstance(named, str) else None
    evaluated = named.lower() if named and parse_span_id(named) is not None else parent_span_id
    score = attributes.get(A.GEN_AI_EVALUATION_SCORE_VALUE)
    entry = {
        "name": attributes.get(A.GEN_AI_EVALUATION_NAME),
        "score": float(score) if isinstance(score, (int, float)) else None,
        "label": attributes.get(A.GEN_AI_EVALUATION_SCORE_LABEL),
        "rationale": attributes.get(A.GEN_AI_EVALUATION_EXPLANATION),
        "source": attributes.get(A.AIOBS_EVALUATION_SOURCE),
        "evaluator_metadata": _json_object(attributes.get(A.AIOBS_EVALUATION_METADATA)),
        "response_id": attributes.get(A.GEN_AI_RESPONSE_ID),
        "error": attributes.get(A.AIOBS_EVALUATION_ERROR),
        "span_id": span_id,
        "evaluated_span_id": named or evaluated,
    }
    return evaluated, entry


def evaluations_by_span(spans: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Evaluated span id -> its evaluations (in start order), from the export's
    spans (non-evaluation spans are skipped). An id missing from the export's
    events (evaluated in an earlier flush) is the caller's to place."""
    found: list[tuple[float, str, dict[str, Any]]] = []
    for span in spans:
        attributes = span.get("attributes") or {}
        if not is_evaluation_span(attributes):
            continue
        evaluated, entry = evaluation_entry(
            attributes, span_id=str(span.get("span_id")), parent_span_id=span.get("parent_span_id")
        )
        if evaluated is not None:
            found.append((float(span.get("started_at") or 0.0), evaluated, entry))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for _, evaluated, entry in sorted(found, key=lambda item: item[0]):
        grouped.setdefault(evaluated, []).append(entry)
    return grouped


def _json_object(text: object) -> dict[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(slots=True, eq=False)
class EvaluationRecord:
    """An evaluation span's record: not an event of its own, but an entry of
    the evaluated event's ``evaluations`` (see ``exporters.document``)."""

    entry: dict[str, Any]
    named_span_id: str | None  # the evaluated span's id as the entry names it
    facts: SpanFacts | None = None
    error: str | None = None
    is_function = False
    callsite = None

    @classmethod
    def of(cls, span: Any) -> EvaluationRecord:
        context = span.get_span_context()
        parent = getattr(span, "parent", None)
        evaluated, entry = evaluation_entry(
            dict(span.attributes or {}),
            span_id=f"{context.span_id:016x}",
            parent_span_id=f"{parent.span_id:016x}" if parent is not None else None,
        )
        return cls(entry, evaluated)

    def attachment(self) -> tuple[str | None, dict[str, Any]]:
        """(the evaluated span's id, the entry to put on its event)."""
        return self.named_span_id, self.entry

    def event_fields(self) -> dict[str, Any]:
        raise TypeError("an evaluation is attached to the event it evaluates")
