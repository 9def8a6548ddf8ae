"""The ObservabilityExport document (version 1), as pydantic v2 models.

Field for field the schema of the aiobs SDK, so files written here load with
its models and with the tools that read them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SessionMeta(BaseModel):
    pid: int
    cwd: str


class Session(BaseModel):
    id: str
    name: str
    started_at: float
    ended_at: float | None = None
    meta: SessionMeta
    labels: dict[str, str] | None = None


class Callsite(BaseModel):
    file: str | None = None
    line: int | None = None
    function: str | None = None


class Event(BaseModel):
    """A provider call (chat completion, embeddings, generate_content, generate_videos)."""

    model_config = ConfigDict(extra="allow")  # our added fields (``cost``, ``evaluations``)

    provider: str
    api: str
    request: Any
    response: Any | None = None
    error: str | None = None
    started_at: float
    ended_at: float
    duration_ms: float
    callsite: Callsite | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    trace_id: str | None = None


class FunctionEvent(BaseModel):
    """A call of an ``@observe``-decorated function."""

    model_config = ConfigDict(extra="allow")  # our added fields (``kind``, ``evaluations``)

    provider: str = "function"
    api: str
    name: str
    module: str | None = None
    args: list[Any] | None = None
    kwargs: dict[str, Any] | None = None
    result: Any | None = None
    error: str | None = None
    started_at: float
    ended_at: float
    duration_ms: float
    callsite: Callsite | None = None
    span_id: str | None = None
    parent_span_id: str | None = None
    trace_id: str | None = None
    enh_prompt: bool = False
    enh_prompt_id: str | None = None
    auto_enhance_after: int | None = None
    # aiobs-otel's additions (aiobs's own models ignore them): the span kind
    # (function, generation, agent, tool, retriever, trace, transaction, crawl,
    # crawl_page, crawl_event) and a generation's model and token usage.
    kind: str = "function"
    model: str | None = None
    usage: dict[str, Any] | None = None


class ObservedEvent(Event):
    session_id: str


class ObservedFunctionEvent(FunctionEvent):
    session_id: str


class ObservabilityExport(BaseModel):
    sessions: list[Session]
    events: list[ObservedEvent]
    function_events: list[ObservedFunctionEvent] = Field(default_factory=list)
    trace_tree: list[Any] | None = None
    enh_prompt_traces: list[str] | None = None
    generated_at: float
    version: int = 1

    # Keys we add to aiobs's document (``cost_totals``, ``evaluations``) are kept:
    # aiobs's own models ignore them, a sink that dumps this model passes them on.
    model_config = ConfigDict(extra="allow")
