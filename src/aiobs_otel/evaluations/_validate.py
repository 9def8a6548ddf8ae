"""Argument checks for ``record_evaluation`` (llmops semantics): each problem is
a ``ValueError`` that names the argument and what was wrong."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

MAX_NAME = 256
MAX_LABEL = 256
MAX_RATIONALE = 8192
_MAX_METADATA_DEPTH = 8


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"record_evaluation: name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME:
        raise ValueError(f"record_evaluation: name is {len(name)} characters, at most {MAX_NAME}")
    return name.strip()


def check_score(score: object) -> float | None:
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise ValueError(f"record_evaluation: score must be a number, got {type(score).__name__}")
    value = float(score)
    if not math.isfinite(value):
        raise ValueError(f"record_evaluation: score must be a finite number, got {score!r}")
    return value


def check_text(argument: str, value: object, limit: int) -> str | None:
    """A label or rationale: ``None``, or a non-empty string (``rationale`` is
    cut to ``limit`` characters, a ``label`` longer than ``limit`` is an error)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(
            f"record_evaluation: {argument} must be a string, got {type(value).__name__}"
        )
    if not value.strip():
        raise ValueError(f"record_evaluation: {argument} must not be empty")
    if len(value) > limit:
        if argument == "label":
            raise ValueError(
                f"record_evaluation: label is {len(value)} characters, at most {limit}"
            )
        return f"{value[:limit]}...[truncated {len(value) - limit} chars]"
    return value


def check_span_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"record_evaluation: evaluated_span_id must be a non-empty string, got {value!r}"
        )
    return value.strip()


def check_metadata(argument: str, value: object) -> dict[str, Any] | None:
    """A JSON object: string keys, JSON values (str, number, bool, None, lists, objects)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{argument} must be a dict, got {type(value).__name__}")
    _check_json(argument, value, 0)
    return dict(value)


def _check_json(path: str, value: object, depth: int) -> None:
    if depth > _MAX_METADATA_DEPTH:
        raise ValueError(f"{path} is nested more than {_MAX_METADATA_DEPTH} levels deep")
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} must be a finite number, got {value!r}")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path} keys must be strings, got {key!r}")
            _check_json(f"{path}[{key!r}]", item, depth + 1)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_json(f"{path}[{index}]", item, depth + 1)
        return
    raise ValueError(
        f"{path} must hold JSON values (str, number, bool, None, list, dict), "
        f"got {type(value).__name__}"
    )
