"""One call of an ``@observe`` function: its span and its record.

``FunctionSpec`` is what is known at decoration time (names, definition site,
options); ``FunctionCall`` opens the span for one call, is current while the
function body runs, and finishes once with the result or the exception.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

from . import attributes as A
from . import kinds
from .guard import report_internal_error
from .kind_calls import KindCall
from .observe_options import KindOptions
from .outgoing import outgoing_attributes, record_error
from .records import SpanFacts
from .spans import finish_span, make_current, restore, tracer
from .values import Reprs, clean_text, dumps, share_reprs, stop_sharing


class FunctionSpec:
    """What is known at decoration time: names, definition site, options."""

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None,
        capture_args: bool,
        capture_result: bool,
        enh_prompt: bool,
        auto_enhance_after: int | None,
        *,
        options: KindOptions | None = None,
    ) -> None:
        # partials and callable objects have no __name__: fall back to their type's.
        self.span_name = name or getattr(func, "__name__", None) or type(func).__name__
        self.options = options if options is not None else KindOptions()
        self.kind = self.options.kind
        # None for a plain function: its calls skip the kind-specific work.
        self.kind_options = self.options if self.options.per_call_work else None
        self.otel_name = clean_text(kinds.span_name(self.kind, self.span_name))
        self.capture_args = capture_args
        self.capture_result = capture_result
        self.enh_prompt = enh_prompt
        self.auto_enhance_after = auto_enhance_after
        self.module = getattr(func, "__module__", None) or ""
        qualname = getattr(func, "__qualname__", self.span_name)
        self.qualname = f"{self.module}.{qualname}" if self.module else qualname
        code = getattr(func, "__code__", None)
        # The callsite of a function event is where the function is defined (aiobs guide).
        self.callsite = (
            (code.co_filename, code.co_firstlineno, qualname) if code is not None else None
        )
        # The span's name, code.* and the scope say which function this is; the
        # export's name / module / api come from this spec, not from attributes.
        static: dict[str, Any] = {A.CODE_FUNCTION_NAME: qualname}
        if enh_prompt:
            static[A.AIOBS_ENH_PROMPT] = True
        if code is not None:
            static[A.CODE_FILE_PATH] = code.co_filename
            static[A.CODE_LINE_NUMBER] = code.co_firstlineno
        if auto_enhance_after is not None:
            static[A.AIOBS_AUTO_ENHANCE_AFTER] = auto_enhance_after
        static.update(kinds.kind_attributes(self.kind, self.span_name, model=self.options.model))
        if self.options.metadata_json is not None:
            static[A.AIOBS_SPAN_METADATA] = self.options.metadata_json
        self.static_attributes = static


@dataclass(slots=True, eq=False)
class FunctionRecord:
    """What the JSON export needs of one call (values as the span's JSON)."""

    spec: FunctionSpec
    args_json: str | None = None
    kwargs_json: str | None = None
    result_json: str | None = None
    enh_prompt_id: str | None = None
    error: str | None = None
    facts: SpanFacts | None = None
    # set by the kinds' work (kind_calls, generation)
    tool_call_id: str | None = None
    locals_json: str | None = None
    self_json: str | None = None
    prompt: Any = None
    response: Any = None
    model: str | None = None
    usage: dict[str, int] | None = None
    cost: dict[str, Any] | None = None

    is_function = True

    @property
    def callsite(self) -> tuple[str | None, int | None, str | None] | None:
        return self.spec.callsite

    def event_fields(self) -> dict[str, Any]:
        spec = self.spec
        args = _loads(self.args_json)
        kwargs = _loads(self.kwargs_json)
        fields = {
            "provider": "function",
            "api": spec.qualname,
            "name": spec.span_name,
            "module": spec.module,
            "args": args if isinstance(args, list) else None,
            "kwargs": kwargs if isinstance(kwargs, dict) else None,
            "result": _loads(self.result_json),
            "enh_prompt": spec.enh_prompt,
            "enh_prompt_id": self.enh_prompt_id,
            "auto_enhance_after": spec.auto_enhance_after,
            "kind": spec.kind,
        }
        fields.update(self._kind_fields())
        return fields

    def _kind_fields(self) -> dict[str, Any]:
        """What the kinds add (aiobs's models ignore these fields)."""
        options = self.spec.options
        out: dict[str, Any] = {}
        if options.metadata is not None:
            out["metadata"] = _loads(options.metadata_json)
        if self.locals_json is not None:
            out["locals"] = _loads(self.locals_json)
        if self.self_json is not None:
            out["self"] = _loads(self.self_json)
        if self.spec.kind == kinds.TOOL:
            out["tool_call_id"] = self.tool_call_id
        elif self.spec.kind == kinds.GENERATION:
            out.update(model=self.model or options.model, prompt=self.prompt,
                       response=self.response, usage=self.usage, cost=self.cost)  # fmt: skip
        return out


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class FunctionCall:
    """One call's span: opened by the constructor, closed exactly once by ``finish``."""

    __slots__ = ("kind", "record", "reprs", "span", "token")

    def __init__(self, spec: FunctionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.span: Span | None = None
        self.token: Any = None
        self.record = FunctionRecord(spec)
        options = spec.kind_options
        self.kind: KindCall | None = KindCall(options) if options is not None else None
        # One repr per object per call, whatever records it (args, result, kinds).
        self.reprs: Reprs = {}
        sharing = share_reprs(self.reprs)
        try:
            attributes = dict(spec.static_attributes)
            if spec.capture_args:
                self.record.args_json = dumps(args, redact_secrets=True)
                self.record.kwargs_json = dumps(kwargs, redact_secrets=True)
                attributes[A.AIOBS_FUNCTION_ARGS] = self.record.args_json
                attributes[A.AIOBS_FUNCTION_KWARGS] = self.record.kwargs_json
            if spec.enh_prompt:
                self.record.enh_prompt_id = str(uuid.uuid4())
                attributes[A.AIOBS_ENH_PROMPT_ID] = self.record.enh_prompt_id
            if self.kind is not None:
                self.kind.start(args, kwargs, attributes, self.record)
            self.span = tracer(A.SCOPE_FUNCTIONS).start_span(
                spec.otel_name, kind=SpanKind.INTERNAL, attributes=outgoing_attributes(attributes)
            )
        except Exception:
            self.kind = None
            report_internal_error("@observe (opening the span)")
        finally:
            stop_sharing(sharing)

    def enter(self) -> None:
        """Make the span current, so spans started by the function nest under it."""
        span = self.span
        if span is None:
            return
        if self.kind is None:
            self.token = make_current(span)
            return
        try:
            context = self.kind.context(trace.set_span_in_context(span))
        except Exception:
            report_internal_error("@observe (entering the span)")
            context = trace.set_span_in_context(span)
        self.token = otel_context.attach(context)

    def catch_locals(self) -> None:
        """Before a plain function's body runs (``capture_locals``)."""
        if self.kind is not None:
            try:
                self.kind.catch_frame()
            except Exception:
                report_internal_error("@observe (capture_locals)")

    def watch_frame(self, owner: Any) -> None:
        """A generator or coroutine object just made (``capture_locals``)."""
        if self.kind is not None:
            frame = getattr(owner, "gi_frame", None) or getattr(owner, "cr_frame", None)
            self.kind.watch_frame(frame or getattr(owner, "ag_frame", None))

    def exit(self) -> None:
        if self.token is not None:
            restore(self.token)
            self.token = None
        if self.kind is not None and self.kind.catcher is not None:
            self.kind.release()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        span = self.span
        if span is None:
            return
        self.span = None
        record = self.record
        attributes: dict[str, Any] = {}
        kind = self.kind
        sharing = share_reprs(self.reprs)
        try:
            if error is not None:
                # secrets the message quotes redacted, known client keys scrubbed
                message = record_error(span, error)
                record.error = f"{type(error).__name__}: {message}"
                attributes[A.ERROR_TYPE] = type(error).__qualname__
            elif record.spec.capture_result:
                record.result_json = dumps(result, redact_secrets=True)
                attributes[A.AIOBS_FUNCTION_RESULT] = record.result_json
            if kind is not None:
                kind.finish(result, error is not None, attributes, record)
        except Exception:
            report_internal_error("@observe (recording the result)")
        finally:
            stop_sharing(sharing)
            self.reprs = {}
        finish_span(span, record, attributes)
        if kind is not None and error is None:
            try:
                kind.evaluate(span.get_span_context(), result)
            except Exception:
                report_internal_error("@observe (scheduling evaluations)")
