"""Deterministic text, token counts and vectors shared by the stand-in's two dialects.

Nothing here is random: the same request always gets the same answer, so
tests can assert on it and the demo's export is the same from run to run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from typing import Any

_OPENINGS = (
    "In short",
    "Put simply",
    "The key point",
    "At its core",
    "Briefly",
)


def count_tokens(text: str) -> int:
    """About four characters a token, as the providers' own rule of thumb; never 0."""
    return max(1, math.ceil(len(text) / 4))


# A judge prompt asks for a JSON verdict with these keys (aiobs_otel.evaluations
# words it so; so do most LLM-as-a-judge prompts).
_VERDICT_KEYS = ('"score"', '"label"', '"rationale"')
_LABEL_CHOICES = re.compile(r"one of:\s*([^\">]+)")


def reply_for(prompt: str, model: str) -> str:
    """A short, plausible answer that quotes the question it answers; to a judge
    prompt, a deterministic JSON verdict."""
    if all(key in prompt for key in _VERDICT_KEYS):
        return verdict_for(prompt)
    digest = hashlib.sha256(f"{model}\n{prompt}".encode()).digest()
    opening = _OPENINGS[digest[0] % len(_OPENINGS)]
    topic = " ".join(prompt.split()[:12]) or "your request"
    return (
        f"{opening}: this is the stand-in's answer to '{topic}'. "
        "A real model would reason about it step by step; the stand-in replies "
        "deterministically so that every run of the demo looks the same."
    )


def verdict_for(prompt: str) -> str:
    """Full marks, the first (best) label the prompt offers, and a rationale."""
    choices = _LABEL_CHOICES.search(prompt)
    label = choices.group(1).split(",")[0].strip() if choices else "pass"
    rationale = "The stand-in judge approves every answer, so that runs are repeatable."
    return json.dumps({"score": 1.0, "label": label, "rationale": rationale})


def split_words(text: str) -> list[str]:
    """Stream pieces that join back to ``text`` exactly (each keeps its trailing space)."""
    pieces = text.split(" ")
    return [p + " " for p in pieces[:-1]] + [pieces[-1]] if pieces else [text]


def truncate_words(text: str, max_tokens: int | None) -> tuple[str, bool]:
    """Cut ``text`` to about ``max_tokens`` tokens; True when it was cut."""
    if max_tokens is None or count_tokens(text) <= max_tokens:
        return text, False
    return text[: max(1, max_tokens * 4)], True


def vector(text: str, dimensions: int) -> list[float]:
    """A unit-length embedding: the sum of one hashed vector per word, so texts
    that share words have a positive cosine similarity (as real embeddings of
    related texts do) and the same text always gets the same vector."""
    words = re.findall(r"\w+", text.lower()) or [text]
    total = [0.0] * dimensions
    for word in words:
        for i, value in enumerate(_hashed(word, dimensions)):
            total[i] += value
    norm = math.sqrt(sum(v * v for v in total)) or 1.0
    return [round(v / norm, 6) for v in total]


def _hashed(word: str, dimensions: int) -> list[float]:
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        block = hashlib.sha256(f"{counter}\n{word}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in block)
        counter += 1
    return values[:dimensions]


def floats_to_base64(values: list[float]) -> str:
    """Little-endian float32, base64: what OpenAI sends for ``encoding_format=base64``."""
    import base64

    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def text_of(value: Any) -> str:
    """The text of an OpenAI message content or a Gemini part list, best effort."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value if text_of(v))
    if isinstance(value, dict):
        for key in ("text", "content", "parts"):
            if key in value:
                return text_of(value[key])
    return ""


def args_for(schema: Any, prompt: str) -> dict[str, Any]:
    """Arguments for a tool call that satisfy the tool's JSON schema's required fields."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or list(properties)
    args: dict[str, Any] = {}
    for name in required:
        spec = properties.get(name) or {}
        kind = str(spec.get("type", "string")).lower()
        if spec.get("enum"):
            args[name] = spec["enum"][0]
        elif kind in ("integer", "number"):
            args[name] = 1
        elif kind == "boolean":
            args[name] = True
        elif kind == "array":
            args[name] = []
        elif kind == "object":
            args[name] = {}
        else:
            args[name] = " ".join(prompt.split()[:6]) or "stand-in"
    return args
