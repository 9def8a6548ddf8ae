"""What a judge is asked: the built-in criteria, your own, and the prompt.

A criterion is a name and instructions. The prompt around them is always the
same: the input, the output, and the demand for one JSON object with a score
from 0 to 1, a label and a rationale, so that any criterion's verdict parses
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validate import MAX_NAME

SYSTEM_PROMPT = (
    "You are a careful, impartial evaluator of AI system outputs. "
    "You answer with a single JSON object and nothing else."
)


@dataclass(frozen=True, slots=True)
class Criterion:
    """A judge criterion: ``Criterion(name="tone", prompt="Is the answer polite?")``.

    ``labels``: the labels the judge should choose from (best first)."""

    name: str
    prompt: str
    labels: tuple[str, ...] = ("pass", "fail")

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > MAX_NAME:
            raise ValueError(f"Criterion name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise ValueError(f"Criterion {self.name!r}: prompt must be a non-empty string")
        labels = tuple(self.labels)
        if not labels or not all(isinstance(label, str) and label.strip() for label in labels):
            raise ValueError(f"Criterion {self.name!r}: labels must be non-empty strings")
        object.__setattr__(self, "labels", labels)


BUILT_IN: dict[str, Criterion] = {
    "correctness": Criterion(
        name="correctness",
        prompt=(
            "Is the output a correct answer to the input? Judge factual accuracy and "
            "whether it does what the input asks, without errors or invented facts. "
            "Score 1 for fully correct, 0 for wrong, in between for partly correct."
        ),
        labels=("correct", "partially_correct", "incorrect"),
    ),
    "relevance": Criterion(
        name="relevance",
        prompt=(
            "Does the output address what the input asks, staying on topic? Judge "
            "relevance only, not correctness. Score 1 for fully relevant, 0 for off topic."
        ),
        labels=("relevant", "partially_relevant", "irrelevant"),
    ),
}


def build_prompt(criterion: Criterion, input_text: str, output_text: str) -> str:
    """The user message for the judge."""
    labels = ", ".join(criterion.labels)
    return (
        "Evaluate the output of an AI system for one criterion.\n\n"
        f"Criterion: {criterion.name}\n{criterion.prompt.strip()}\n\n"
        f"<input>\n{input_text}\n</input>\n\n"
        f"<output>\n{output_text}\n</output>\n\n"
        "Answer with one JSON object and nothing else:\n"
        '{"score": <a number from 0 to 1>, '
        f'"label": "<one of: {labels}>", '
        '"rationale": "<one or two sentences>"}'
    )
