"""``@observe``: an INTERNAL span per call of a function, nested by context.

The wrapper's shape (plain, coroutine, generator, async generator) is chosen
once, at decoration time; all four share ``_FunctionCall`` for the span's
lifecycle, so they differ only in how they drive the user's function.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, TypeVar, overload

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import attributes as A
from ._safe import MAX_ITEMS, dumps, report_internal_error
from ._version import __version__

F = TypeVar("F", bound=Callable[..., Any])

_tracer = trace.get_tracer(A.SCOPE_FUNCTIONS, __version__)


class _FunctionSpec:
    """What is known at decoration time: names, definition site, options."""

    def __init__(
        self,
        func: Callable[..., Any],
        name: str | None,
        capture_args: bool,
        capture_result: bool,
        enh_prompt: bool,
        auto_enhance_after: int | None,
    ) -> None:
        # partials and callable objects have no __name__: fall back to their type's.
        self.span_name = name or getattr(func, "__name__", None) or type(func).__name__
        self.capture_args = capture_args
        self.capture_result = capture_result
        self.enh_prompt = enh_prompt
        module = getattr(func, "__module__", None) or ""
        qualname = getattr(func, "__qualname__", self.span_name)
        static: dict[str, Any] = {
            A.AIOBS_FUNCTION_NAME: self.span_name,
            A.AIOBS_FUNCTION_MODULE: module,
            A.AIOBS_FUNCTION_QUALNAME: f"{module}.{qualname}" if module else qualname,
            A.AIOBS_ENH_PROMPT: enh_prompt,
            A.CODE_FUNCTION_NAME: qualname,
        }
        code = getattr(func, "__code__", None)
        if code is not None:
            static[A.CODE_FILE_PATH] = code.co_filename
            static[A.CODE_LINE_NUMBER] = code.co_firstlineno
        if auto_enhance_after is not None:
            static[A.AIOBS_AUTO_ENHANCE_AFTER] = auto_enhance_after
        self.static_attributes = static


class _FunctionCall:
    """One call's span: opened by ``start``, closed exactly once by ``finish``."""

    __slots__ = ("span", "spec", "token")

    def __init__(self, spec: _FunctionSpec, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.spec = spec
        self.span: Any = None
        self.token: Any = None
        try:
            attributes = dict(spec.static_attributes)
            if spec.capture_args:
                attributes[A.AIOBS_FUNCTION_ARGS] = dumps(args, redact_secrets=True)
                attributes[A.AIOBS_FUNCTION_KWARGS] = dumps(kwargs, redact_secrets=True)
            if spec.enh_prompt:
                attributes[A.AIOBS_ENH_PROMPT_ID] = str(uuid.uuid4())
            self.span = _tracer.start_span(
                spec.span_name, kind=SpanKind.INTERNAL, attributes=attributes
            )
        except Exception:
            report_internal_error("@observe (opening the span)")

    def enter(self) -> None:
        """Make the span current, so spans started by the function nest under it."""
        if self.span is not None:
            self.token = otel_context.attach(trace.set_span_in_context(self.span))

    def exit(self) -> None:
        if self.token is not None:
            otel_context.detach(self.token)
            self.token = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        span = self.span
        if span is None:
            return
        self.span = None
        try:
            if error is not None:
                span.set_attribute(A.ERROR_TYPE, type(error).__qualname__)
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            elif self.spec.capture_result:
                span.set_attribute(A.AIOBS_FUNCTION_RESULT, dumps(result, redact_secrets=True))
            span.end()  # span processors run here: guarded like the rest
        except Exception:
            report_internal_error("@observe (recording the result)")


def _wrap_function(func: Callable[..., Any], spec: _FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _FunctionCall(spec, args, kwargs)
        call.enter()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            call.exit()
            call.finish(error=exc)
            raise
        call.exit()
        call.finish(result)
        return result

    return wrapper


def _wrap_coroutine(func: Callable[..., Any], spec: _FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = _FunctionCall(spec, args, kwargs)
        call.enter()
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            call.exit()
            call.finish(error=exc)
            raise
        call.exit()
        call.finish(result)
        return result

    return wrapper


class _Yielded:
    """The first items a generator yielded: its ``result`` in the export."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.count = 0

    def add(self, item: Any) -> None:
        self.count += 1
        if self.count <= MAX_ITEMS:
            self.items.append(item)

    def summary(self, returned: Any) -> Any:
        summary: dict[str, Any] = {"yielded": self.items, "count": self.count}
        if returned is not None:
            summary["returned"] = returned
        return summary


def _wrap_generator(func: Callable[..., Any], spec: _FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        call = _FunctionCall(spec, args, kwargs)
        yielded = _Yielded()
        # The span is current only while the generator body runs, never
        # between yields, where the consumer's code runs.
        call.enter()
        try:
            gen = func(*args, **kwargs)
            item = next(gen)
            while True:
                call.exit()
                yielded.add(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    gen.close()
                    call.finish(yielded.summary(None))
                    raise
                except BaseException as thrown:
                    call.enter()
                    item = gen.throw(thrown)
                    continue
                call.enter()
                item = gen.send(sent)
        except StopIteration as stop:
            call.exit()
            call.finish(yielded.summary(stop.value))
            return stop.value
        except GeneratorExit:
            raise
        except BaseException as exc:
            call.exit()
            call.finish(error=exc)
            raise

    return wrapper


def _wrap_async_generator(func: Callable[..., Any], spec: _FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        call = _FunctionCall(spec, args, kwargs)
        yielded = _Yielded()
        call.enter()
        try:
            agen = func(*args, **kwargs)
            item = await agen.__anext__()
            while True:
                call.exit()
                yielded.add(item)
                try:
                    sent = yield item
                except GeneratorExit:
                    await agen.aclose()
                    call.finish(yielded.summary(None))
                    raise
                except BaseException as thrown:
                    call.enter()
                    item = await agen.athrow(thrown)
                    continue
                call.enter()
                item = await agen.asend(sent)
        except StopAsyncIteration:
            call.exit()
            call.finish(yielded.summary(None))
        except GeneratorExit:
            raise
        except BaseException as exc:
            call.exit()
            call.finish(error=exc)
            raise

    return wrapper


@overload
def observe(func: F) -> F: ...


@overload
def observe(
    func: None = None,
    *,
    name: str | None = None,
    capture_args: bool = True,
    capture_result: bool = True,
    enh_prompt: bool = False,
    auto_enhance_after: int | None = None,
) -> Callable[[F], F]: ...


def observe(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    capture_args: bool = True,
    capture_result: bool = True,
    enh_prompt: bool = False,
    auto_enhance_after: int | None = None,
) -> Any:
    """Trace each call of a function (sync, async, generator or async generator).

    Usage::

        @observe
        def research(query: str) -> list[str]: ...

        @observe(name="summarize", enh_prompt=True, auto_enhance_after=10)
        async def summarize(text: str) -> str: ...

    Arguments and the result are recorded as safe, truncated JSON (turn either
    off with ``capture_args=False`` / ``capture_result=False``); an exception is
    recorded on the span and re-raised unchanged.
    """

    def decorate(target: Callable[..., Any]) -> Callable[..., Any]:
        spec = _FunctionSpec(
            target, name, capture_args, capture_result, enh_prompt, auto_enhance_after
        )
        if inspect.isasyncgenfunction(target):
            return _wrap_async_generator(target, spec)
        if inspect.iscoroutinefunction(target):
            return _wrap_coroutine(target, spec)
        if inspect.isgeneratorfunction(target):
            return _wrap_generator(target, spec)
        return _wrap_function(target, spec)

    if func is not None:
        return decorate(func)
    return decorate
