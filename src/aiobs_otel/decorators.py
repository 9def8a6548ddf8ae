"""``@observe``: an INTERNAL span per call of a function, nested by context.

The wrapper's shape (plain, coroutine, generator, async generator) is chosen
once, at decoration time; all four share ``functions.FunctionCall`` for the
span's lifecycle, so they differ only in how they drive the user's function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Mapping, Sequence
from typing import Any, TypeVar, overload

from .functions import FunctionCall, FunctionSpec
from .observe_options import make_options
from .values import MAX_ITEMS

F = TypeVar("F", bound=Callable[..., Any])


def _wrap_function(func: Callable[..., Any], spec: FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = FunctionCall(spec, args, kwargs)
        call.enter()
        call.catch_locals()
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


def _wrap_coroutine(func: Callable[..., Any], spec: FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        call = FunctionCall(spec, args, kwargs)
        call.enter()
        try:
            coroutine = func(*args, **kwargs)
            call.watch_frame(coroutine)
            result = await coroutine
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


def _wrap_generator(func: Callable[..., Any], spec: FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        call = FunctionCall(spec, args, kwargs)
        yielded = _Yielded()
        # The span is current only while the generator body runs, never
        # between yields, where the consumer's code runs.
        call.enter()
        try:
            gen = func(*args, **kwargs)
            call.watch_frame(gen)
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


def _wrap_async_generator(func: Callable[..., Any], spec: FunctionSpec) -> Callable[..., Any]:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        call = FunctionCall(spec, args, kwargs)
        yielded = _Yielded()
        call.enter()
        try:
            agen = func(*args, **kwargs)
            call.watch_frame(agen)
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
    kind: str = "function",
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    model: str | None = None,
    evals: Sequence[Any] | None = None,
    evaluation: bool = False,
    sample_rate: float | None = None,
    evaluation_metadata: Mapping[str, Any] | None = None,
) -> Callable[[F], F]: ...


def observe(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    capture_args: bool = True,
    capture_result: bool = True,
    enh_prompt: bool = False,
    auto_enhance_after: int | None = None,
    kind: str = "function",
    metadata: Mapping[str, Any] | None = None,
    capture_locals: bool | Sequence[str] = False,
    capture_self: bool = False,
    model: str | None = None,
    evals: Sequence[Any] | None = None,
    evaluation: bool = False,
    sample_rate: float | None = None,
    evaluation_metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Trace each call of a function (sync, async, generator or async generator).

    Usage::

        @observe
        def research(query: str) -> list[str]: ...

        @observe(name="summarize", enh_prompt=True, auto_enhance_after=10)
        async def summarize(text: str) -> str: ...

        @observe(kind="tool", metadata={"component": "search"})
        def search(query: str) -> list[str]: ...

        @observe(kind="generation", model="gpt-4o-mini", evals=["correctness"])
        def answer(prompt: str) -> ChatCompletion: ...

    Arguments and the result are recorded as safe, truncated JSON (turn either
    off with ``capture_args=False`` / ``capture_result=False``); an exception is
    recorded on the span and re-raised unchanged. ``kind`` is one of
    ``function``, ``generation``, ``agent``, ``tool``, ``retriever``;
    ``capture_locals`` (True or a list of names) records the function's local
    variables when it returns, ``capture_self`` the attributes of ``self``.
    A bad option raises ``ValueError`` here, when the function is decorated.
    """

    def decorate(target: Callable[..., Any]) -> Callable[..., Any]:
        options = make_options(
            target, kind=kind, metadata=metadata, capture_locals=capture_locals,
            capture_self=capture_self, model=model, evals=evals, evaluation=evaluation,
            sample_rate=sample_rate, evaluation_metadata=evaluation_metadata,
        )  # fmt: skip
        spec = FunctionSpec(
            target, name, capture_args, capture_result, enh_prompt, auto_enhance_after,
            options=options,
        )  # fmt: skip
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
