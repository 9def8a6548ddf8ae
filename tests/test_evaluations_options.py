"""What the decorator checks at decoration time, and how verdicts are read."""

from __future__ import annotations

import math
from typing import Any

import pytest

from aiobs_otel.evaluations import (
    BUILT_IN_CRITERIA,
    Criterion,
    Verdict,
    VerdictError,
    parse_verdict,
    validate_eval_options,
)


def test_evaluation_true_is_correctness() -> None:
    alias = validate_eval_options(evaluation=True)
    explicit = validate_eval_options(evals=["correctness"])
    assert alias == explicit
    assert alias is not None and [c.name for c in alias.criteria] == ["correctness"]
    assert alias.sample_rate == 1.0 and alias.metadata == {}


def test_options_with_sampling_metadata_and_a_custom_criterion() -> None:
    tone = Criterion(name="tone", prompt="Is it polite?", labels=("polite", "rude"))
    options = validate_eval_options(
        evals=["correctness", "relevance", tone], sample_rate=0.2,
        evaluation_metadata={"policy_version": "v1"},
    )  # fmt: skip
    assert options is not None
    assert [c.name for c in options.criteria] == ["correctness", "relevance", "tone"]
    assert (options.sample_rate, options.metadata) == (0.2, {"policy_version": "v1"})
    assert BUILT_IN_CRITERIA == ("correctness", "relevance")


def test_nothing_asked_is_none() -> None:
    assert validate_eval_options() is None
    assert validate_eval_options(evaluation=False) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"evals": "correctness"}, r"evals must be a list, e.g. evals=\['correctness'\]"),
        ({"evals": ["accuracy"]}, "unknown evaluation criterion 'accuracy': use one of "
                                  "'correctness', 'relevance'"),
        ({"evals": ["correctness", "correctness"]}, "names a criterion twice: correctness"),
        ({"evals": [3]}, "unknown evaluation criterion 3"),
        ({"evaluation": "yes"}, "evaluation must be True or False"),
        ({"evaluation": True, "sample_rate": 1.5}, "sample_rate must be from 0 to 1"),
        ({"evaluation": True, "sample_rate": -0.1}, "sample_rate must be from 0 to 1"),
        ({"evaluation": True, "sample_rate": math.nan}, "sample_rate must be from 0 to 1"),
        ({"evaluation": True, "sample_rate": True}, "sample_rate must be a number"),
        ({"evaluation": True, "sample_rate": "0.2"}, "sample_rate must be a number"),
        ({"evaluation": True, "evaluation_metadata": ["v1"]}, "evaluation_metadata must be a dict"),
        ({"sample_rate": 0.2}, "sample_rate and evaluation_metadata need evals"),
        ({"evaluation_metadata": {"a": 1}}, "need evals"),
    ],
)  # fmt: skip
def test_bad_options_are_clear_value_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_eval_options(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "prompt": "x"}, "name must be a non-empty string"),
        ({"name": "tone", "prompt": " "}, "prompt must be a non-empty string"),
        ({"name": "tone", "prompt": "x", "labels": ()}, "labels must be non-empty strings"),
    ],
)
def test_bad_criteria(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Criterion(**kwargs)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"score": 0.8, "label": "correct", "rationale": "ok"}', Verdict(0.8, "correct", "ok")),
        ('```json\n{"score": 1, "label": "correct"}\n```', Verdict(1.0, "correct", None)),
        ('Sure! Here is my verdict: {"Score": "0.5", "Label": "partial"} Hope it helps.',
         Verdict(0.5, "partial", None)),
        ('{"score": "75%", "explanation": "mostly"}', Verdict(0.75, None, "mostly")),
        ('{"note": {"nested": true}} then {"label": "fail", "reason": "wrong"}',
         Verdict(None, "fail", "wrong")),
        ({"score": 0, "label": "incorrect"}, Verdict(0.0, "incorrect", None)),
    ],
)  # fmt: skip
def test_verdicts_are_found_wherever_the_model_put_them(answer: Any, expected: Verdict) -> None:
    assert parse_verdict(answer) == expected


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("Looks good to me.", "no JSON verdict in the judge's answer: 'Looks good to me.'"),
        ('{"verdict": "good"}', "no score, label or rationale"),
        ('{"score": 7}', "score 7 is not between 0 and 1"),
        ('{"score": "high"}', "score 'high' is not a number"),
        ('{"score": true}', "score True is not a number"),
        ("", "no JSON verdict"),
        (None, "returned NoneType, not text or a dict"),
        ("{" * 5000, "no JSON verdict"),
    ],
)
def test_garbage_is_a_verdict_error(answer: Any, message: str) -> None:
    with pytest.raises(VerdictError, match=message):
        parse_verdict(answer)


def test_a_long_label_and_rationale_are_cut() -> None:
    verdict = parse_verdict({"label": "x" * 1000, "rationale": "y" * 20000})
    assert verdict.label is not None and len(verdict.label) < 300
    assert verdict.rationale is not None and len(verdict.rationale) < 8300
