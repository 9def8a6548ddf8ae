"""Judge clients: an ``openai.OpenAI``, a ``google.genai.Client``, or a callable.

Each becomes a function ``ask(request) -> str | dict``. The SDK clients are the
user's own, so their calls are traced by our instrumentors like any other call
(the provider span nests under the evaluation span). They are recognised by
shape, not by import, so neither SDK is needed for the other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._criteria import SYSTEM_PROMPT


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """What a callable judge receives."""

    criterion: str
    prompt: str
    """The whole user message: criterion, input, output and the JSON demand."""
    input_text: str
    output_text: str
    system: str = SYSTEM_PROMPT
    model: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


Ask = Callable[[JudgeRequest], "str | Mapping[str, Any]"]


def make_ask(
    client: Any, model: str | None, *, timeout: float, temperature: float | None, json_mode: bool
) -> tuple[Ask, str]:
    """``(ask, kind)``; ``TypeError`` for a client of no known shape, ``ValueError``
    when an SDK client comes without a model."""
    if _is_openai(client):
        return _openai_ask(client, _need(model), timeout, temperature, json_mode), "openai"
    if _is_genai(client):
        return _genai_ask(client, _need(model), temperature, json_mode), "gemini"
    if callable(client):
        return client, "callable"
    raise TypeError(
        "configure_judge: client must be an openai.OpenAI, a google.genai.Client or a "
        f"callable taking a JudgeRequest, got {type(client).__name__}"
    )


def _need(model: str | None) -> str:
    if not isinstance(model, str) or not model.strip():
        raise ValueError("configure_judge: model= is required with an SDK client (e.g. 'gpt-4o')")
    return model


def _is_openai(client: Any) -> bool:
    completions = getattr(getattr(client, "chat", None), "completions", None)
    return callable(getattr(completions, "create", None))


def _is_genai(client: Any) -> bool:
    return callable(getattr(getattr(client, "models", None), "generate_content", None))


def _openai_ask(
    client: Any, model: str, timeout: float, temperature: float | None, json_mode: bool
) -> Ask:
    # A per-request timeout bounds a slow server from the SDK's side too.
    bounded = client.with_options(timeout=timeout)
    options: dict[str, Any] = {}
    if temperature is not None:
        options["temperature"] = temperature
    if json_mode:
        options["response_format"] = {"type": "json_object"}

    def ask(request: JudgeRequest) -> str:
        messages = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.prompt},
        ]
        reply = bounded.chat.completions.create(model=model, messages=messages, **options)
        return str(reply.choices[0].message.content or "")

    return ask


def _genai_ask(client: Any, model: str, temperature: float | None, json_mode: bool) -> Ask:
    def ask(request: JudgeRequest) -> str:
        config: dict[str, Any] = {"system_instruction": request.system}
        if temperature is not None:
            config["temperature"] = temperature
        if json_mode:
            config["response_mime_type"] = "application/json"
        reply = client.models.generate_content(model=model, contents=request.prompt, config=config)
        return str(reply.text or "")

    return ask
