"""The options ``@observe`` takes beyond aiobs's, checked once at decoration time.

``kind``, ``metadata``, ``capture_locals``, ``capture_self``, ``model`` (for a
generation) and the evaluation options (``evals``, ``evaluation``,
``sample_rate``, ``evaluation_metadata``). A bad option is a ``ValueError``
when the function is decorated, never an error in a call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from . import kinds
from .capture import takes_self, validate_capture_locals
from .evaluations import EvalOptions, validate_eval_options
from .instrumentors.config import content_settings_from_env
from .trace_context import checked_metadata, metadata_json


class KindFields(Protocol):
    """What the kinds' work fills in a function's record (``functions.FunctionRecord``)."""

    tool_call_id: str | None
    locals_json: str | None
    self_json: str | None
    prompt: Any
    response: Any
    model: str | None
    usage: dict[str, int] | None
    cost: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class KindOptions:
    kind: str = kinds.FUNCTION
    metadata: Mapping[str, Any] | None = None
    metadata_json: str | None = None
    capture_locals: bool | tuple[str, ...] = False
    capture_self: bool = False
    model: str | None = None
    evals: EvalOptions | None = None
    content: bool = True  # content capture (tool arguments, prompts) at decoration time
    content_on_span: bool = True
    code: Any = None  # the function's code object (locals capture)
    tool_call_id_index: int | None = None  # positional index of a tool_call_id parameter
    parameter_names: tuple[str, ...] = ()

    @property
    def per_call_work(self) -> bool:
        """Whether calls need more than a plain function's span."""
        return (
            self.kind != kinds.FUNCTION
            or self.metadata is not None
            or bool(self.capture_locals)
            or self.capture_self
            or self.evals is not None
        )


def make_options(
    func: Callable[..., Any],
    *,
    kind: str = kinds.FUNCTION,
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    model: str | None = None,
    evals: Sequence[Any] | None = None,
    evaluation: bool = False,
    sample_rate: float | None = None,
    evaluation_metadata: Mapping[str, Any] | None = None,
) -> KindOptions:
    """The checked options (``ValueError`` naming the bad one)."""
    kind = kinds.validate_kind(kind)
    own_metadata = checked_metadata(metadata) if metadata is not None else None
    locals_option = validate_capture_locals(capture_locals)
    if not isinstance(capture_self, bool):
        raise ValueError(f"capture_self must be True or False, got {capture_self!r}")
    if model is not None and (not isinstance(model, str) or not model):
        raise ValueError(f"model must be a model id string, got {model!r}")
    if model is not None and kind != kinds.GENERATION:
        raise ValueError("model= is for kind='generation' (the model a generation calls)")
    eval_options = validate_eval_options(
        evals=evals, evaluation=evaluation, sample_rate=sample_rate,
        evaluation_metadata=evaluation_metadata,
    )  # fmt: skip
    target = _unwrapped(func)
    code = getattr(target, "__code__", None)
    names: tuple[str, ...] = ()
    if code is not None:
        names = tuple(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    positional = names[: code.co_argcount] if code is not None else ()
    settings = content_settings_from_env()
    return KindOptions(
        kind=kind,
        metadata=own_metadata,
        metadata_json=metadata_json(own_metadata) if own_metadata is not None else None,
        capture_locals=locals_option,
        capture_self=capture_self and takes_self(target),
        model=model,
        evals=eval_options,
        content=settings.captured,
        content_on_span=settings.on_span,
        code=code,
        tool_call_id_index=positional.index("tool_call_id")
        if "tool_call_id" in positional
        else None,
        parameter_names=names,
    )


def _unwrapped(func: Callable[..., Any]) -> Callable[..., Any]:
    """The innermost function behind ``functools.wraps`` decorators."""
    seen = 0
    while hasattr(func, "__wrapped__") and seen < 32:
        func = func.__wrapped__
        seen += 1
    return func


def named_arguments(
    options: KindOptions, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """A call's arguments by parameter name (``self`` left out; extra
    positional arguments under ``"*args"``)."""
    names = options.parameter_names
    positional = min(len(args), options.code.co_argcount if options.code is not None else 0)
    bound = dict(zip(names[:positional], args[:positional], strict=True))
    if len(args) > positional:
        bound["*args"] = list(args[positional:])
    bound.update(kwargs)
    bound.pop("self", None)
    return bound
