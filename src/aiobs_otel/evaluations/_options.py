"""The evaluation options of ``@observe(kind="generation", evals=[...], ...)``,
checked once, when the function is decorated."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._criteria import BUILT_IN, Criterion
from ._validate import check_metadata

DEFAULT_CRITERION = "correctness"  # what evaluation=True means (llmops's alias)


@dataclass(frozen=True, slots=True)
class EvalOptions:
    criteria: tuple[Criterion, ...]
    sample_rate: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)


def validate_eval_options(
    *,
    evals: Sequence[str | Criterion] | None = None,
    evaluation: bool = False,
    sample_rate: float | None = None,
    evaluation_metadata: Mapping[str, Any] | None = None,
) -> EvalOptions | None:
    """The checked options, or ``None`` when no evaluation is asked for.

    ``evals``: built-in criterion names (``"correctness"``, ``"relevance"``) and
    ``Criterion`` objects; ``evaluation=True`` alone means ``["correctness"]``;
    ``sample_rate`` in [0, 1] (default 1: every call); ``evaluation_metadata``
    a JSON object recorded with each evaluation. ``ValueError`` otherwise."""
    if not isinstance(evaluation, bool):
        raise ValueError(f"evaluation must be True or False, got {evaluation!r}")
    if evals is None and evaluation:
        evals = [DEFAULT_CRITERION]
    criteria = _criteria(evals)
    rate = _rate(sample_rate)
    metadata = check_metadata("evaluation_metadata", evaluation_metadata) or {}
    if not criteria:
        if sample_rate is not None or evaluation_metadata is not None:
            raise ValueError(
                "sample_rate and evaluation_metadata need evals=[...] (or evaluation=True)"
            )
        return None
    return EvalOptions(criteria=criteria, sample_rate=rate, metadata=metadata)


def _criteria(evals: object) -> tuple[Criterion, ...]:
    if evals is None:
        return ()
    if isinstance(evals, (str, Criterion)) or not isinstance(evals, Sequence):
        raise ValueError(f"evals must be a list, e.g. evals=['correctness'], got {evals!r}")
    found: list[Criterion] = []
    for item in evals:
        if isinstance(item, Criterion):
            found.append(item)
        elif isinstance(item, str) and item in BUILT_IN:
            found.append(BUILT_IN[item])
        else:
            known = ", ".join(repr(n) for n in BUILT_IN)
            raise ValueError(
                f"unknown evaluation criterion {item!r}: use one of {known} "
                "or Criterion(name=..., prompt=...) for your own"
            )
    names = [c.name for c in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"evals names a criterion twice: {', '.join(duplicates)}")
    return tuple(found)


def _rate(sample_rate: object) -> float:
    if sample_rate is None:
        return 1.0
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real):
        raise ValueError(f"sample_rate must be a number from 0 to 1, got {sample_rate!r}")
    rate = float(sample_rate)
    if not math.isfinite(rate) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"sample_rate must be from 0 to 1, got {sample_rate!r}")
    return rate
