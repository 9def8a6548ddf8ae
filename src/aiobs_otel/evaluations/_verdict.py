"""Reading a judge's answer: the JSON verdict, wherever the model put it.

Models wrap JSON in code fences, add a sentence before it, or answer with
something else entirely. The first JSON object in the answer that holds a
score, a label or a rationale is the verdict; anything else is a
``VerdictError`` (recorded as a failed evaluation).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._validate import MAX_LABEL, MAX_RATIONALE

_RATIONALE_KEYS = ("rationale", "explanation", "reason", "reasoning")
_SHOWN = 200  # characters of a bad answer quoted in the error
_MAX_ATTEMPTS = 64  # "{" positions tried: a pathological answer costs little


class VerdictError(ValueError):
    """The judge's answer holds no usable verdict."""


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float | None
    label: str | None
    rationale: str | None


def parse_verdict(answer: object) -> Verdict:
    """The verdict in ``answer`` (the judge's text, or a dict a callable returned)."""
    if isinstance(answer, Mapping):
        return _from_object(answer, answer)
    if not isinstance(answer, str):
        raise VerdictError(f"the judge returned {type(answer).__name__}, not text or a dict")
    first_error: VerdictError | None = None
    for candidate in _json_objects(answer):
        try:
            return _from_object(candidate, answer)
        except VerdictError as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    raise VerdictError(f"no JSON verdict in the judge's answer: {_quote(answer)}")


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    attempts = 0
    while start != -1 and len(found) < 8 and attempts < _MAX_ATTEMPTS:
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        start = text.find("{", end)
    return found


def _from_object(raw: Mapping[Any, Any], answer: object) -> Verdict:
    fields = {str(k).lower(): v for k, v in raw.items()}
    score = _score(fields.get("score"))
    label = _text(fields.get("label"), MAX_LABEL)
    rationale = next(
        (t for k in _RATIONALE_KEYS if (t := _text(fields.get(k), MAX_RATIONALE)) is not None),
        None,
    )
    if score is None and label is None and rationale is None:
        raise VerdictError(f"no score, label or rationale in the judge's answer: {_quote(answer)}")
    return Verdict(score=score, label=label, rationale=rationale)


def _score(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%")) / (100 if value.strip().endswith("%") else 1)
        except ValueError:
            raise VerdictError(f"the judge's score {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise VerdictError(f"the judge's score {value!r} is not a number")
    score = float(value)
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise VerdictError(f"the judge's score {value!r} is not between 0 and 1")
    return score


def _text(value: object, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if len(value) <= limit else value[:limit] + "...[truncated]"


def _quote(answer: object) -> str:
    text = answer if isinstance(answer, str) else repr(answer)
    return repr(text[:_SHOWN] + ("..." if len(text) > _SHOWN else ""))
