"""llmops's decorators as ``@observe`` kinds: one line each, no second implementation."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import langfuse
from ..decorators import observe
from ..guard import report_internal_error


def _metadata(metadata: Mapping[str, Any] | None, tags: Any) -> Mapping[str, Any] | None:
    """llmops's older ``tags={...}`` is metadata too (a list becomes ``metadata["tags"]``)."""
    if tags is None:
        return metadata
    extra = dict(tags) if isinstance(tags, Mapping) else {"tags": list(tags)}
    if metadata is not None and not isinstance(metadata, Mapping):
        return metadata  # @observe says what is wrong with it
    return {**(metadata or {}), **extra}


def _decorator(func: Callable[..., Any] | None, **options: Any) -> Any:
    _langfuse_if_wanted()
    decorate = observe(**options)
    return decorate(func) if func is not None else decorate


def _langfuse_if_wanted() -> None:
    """``LANGFUSE_*`` set and a tracer provider already installed: attach now
    (without one, the pipeline ``start_trace`` builds attaches it)."""
    try:
        langfuse.auto_configure()
    except Exception:
        report_internal_error("sending traces to Langfuse")


def track_function(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    tags: Any = None,
) -> Any:
    """``@track_function()``: a span of kind ``function``."""
    return _decorator(func, name=name, metadata=_metadata(metadata, tags),
                      capture_locals=capture_locals, capture_self=capture_self)  # fmt: skip


def track_llm_call(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    model: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    evals: Sequence[Any] | None = None,
    evaluation: bool = False,
    sample_rate: float | None = None,
    evaluation_metadata: Mapping[str, Any] | None = None,
    tags: Any = None,
) -> Any:
    """``@track_llm_call(model=...)``: a ``generation`` span; ``model`` defaults to
    ``MODEL_ID`` when that variable is set (llmops's default model for cost)."""
    return _decorator(
        func, kind="generation", name=name, model=model or os.environ.get("MODEL_ID") or None,
        metadata=_metadata(metadata, tags), capture_locals=capture_locals,
        capture_self=capture_self, evals=evals, evaluation=evaluation,
        sample_rate=sample_rate, evaluation_metadata=evaluation_metadata,
    )  # fmt: skip


def track_llm_agent(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    tags: Any = None,
) -> Any:
    """``@track_llm_agent()``: an ``invoke_agent {name}`` span."""
    return _decorator(func, kind="agent", name=name, metadata=_metadata(metadata, tags),
                      capture_locals=capture_locals, capture_self=capture_self)  # fmt: skip


def track_llm_tool(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    tags: Any = None,
) -> Any:
    """``@track_llm_tool()``: an ``execute_tool {name}`` span."""
    return _decorator(func, kind="tool", name=name, metadata=_metadata(metadata, tags),
                      capture_locals=capture_locals, capture_self=capture_self)  # fmt: skip
