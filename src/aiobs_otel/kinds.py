"""Span kinds: what a span is about, in our names, the GenAI conventions' and Phoenix's.

``@observe(kind=...)`` takes one of ``OBSERVE_KINDS``; the trace, transaction
and crawl spans have kinds of their own. Every span we open for one of them
carries ``aiobs.span.kind`` and ``openinference.span.kind`` (the value Phoenix
shows: it reads that attribute first, then ``gen_ai.operation.name``):

=============  ======================  =======================  ==========
kind           span name               gen_ai.operation.name    Phoenix
=============  ======================  =======================  ==========
function       the function's name     —                        CHAIN
generation     the function's name     ``chat``                 LLM
agent          ``invoke_agent {name}`` ``invoke_agent``         AGENT
tool           ``execute_tool {name}`` ``execute_tool``         TOOL
retriever      the function's name     ``retrieval``            RETRIEVER
trace, transaction, crawl, crawl_page, crawl_event: their name, CHAIN
=============  ======================  =======================  ==========
"""

from __future__ import annotations

from typing import Any

from . import attributes as A

FUNCTION = "function"
GENERATION = "generation"
AGENT = "agent"
TOOL = "tool"
RETRIEVER = "retriever"
OBSERVE_KINDS = (FUNCTION, GENERATION, AGENT, TOOL, RETRIEVER)

TRACE = "trace"
TRANSACTION = "transaction"
CRAWL = "crawl"
CRAWL_PAGE = "crawl_page"
CRAWL_EVENT = "crawl_event"

# gen_ai.operation.name of a generation span: a user-wrapped model call is, for
# the conventions, an inference ("chat"), whatever API the function calls.
GENERATION_OPERATION = "chat"

_PHOENIX = {
    FUNCTION: "CHAIN",
    GENERATION: "LLM",
    AGENT: "AGENT",
    TOOL: "TOOL",
    RETRIEVER: "RETRIEVER",
}
_OPERATIONS = {
    GENERATION: GENERATION_OPERATION,
    AGENT: "invoke_agent",
    TOOL: "execute_tool",
    RETRIEVER: "retrieval",
}


def validate_kind(kind: object) -> str:
    """``kind`` when it is one ``@observe`` accepts; ``ValueError`` otherwise."""
    if isinstance(kind, str) and kind in OBSERVE_KINDS:
        return kind
    known = ", ".join(repr(k) for k in OBSERVE_KINDS)
    raise ValueError(f"@observe(kind=...) must be one of {known}, got {kind!r}")


def phoenix_kind(kind: str) -> str:
    """``openinference.span.kind`` for one of our kinds (CHAIN for the others)."""
    return _PHOENIX.get(kind, "CHAIN")


def span_name(kind: str, name: str) -> str:
    """The span's name: the conventions' ``invoke_agent`` / ``execute_tool``
    form for agents and tools, the function's name otherwise."""
    operation = _OPERATIONS.get(kind)
    if kind in (AGENT, TOOL) and operation is not None:
        return f"{operation} {name}"
    return name


def kind_attributes(kind: str, name: str, *, model: str | None = None) -> dict[str, Any]:
    """The attributes a span of ``kind`` starts with (besides the function's own)."""
    out: dict[str, Any] = {
        A.AIOBS_SPAN_KIND: kind,
        A.OPENINFERENCE_SPAN_KIND: phoenix_kind(kind),
    }
    operation = _OPERATIONS.get(kind)
    if operation is not None:
        out[A.GEN_AI_OPERATION_NAME] = operation
    if kind == AGENT:
        out[A.GEN_AI_AGENT_NAME] = name
    elif kind == TOOL:
        out[A.GEN_AI_TOOL_NAME] = name
    elif kind == GENERATION and model:
        out[A.GEN_AI_REQUEST_MODEL] = model
    return out
