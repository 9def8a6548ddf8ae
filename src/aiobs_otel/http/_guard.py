"""The guard around our hook code: the contrib instrumentations call request
and response hooks without a try, so a bug of ours must stop here."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..guard import report_internal_error

_F = TypeVar("_F", bound=Callable[..., Any])


def report_error(where: str) -> None:
    """Log the exception being handled (re-raised under our tests); from ``except``."""
    report_internal_error(where)


def guarded(where: str) -> Callable[[_F], _F]:
    """Decorate a sync hook: it never raises into the HTTP call."""

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            try:
                func(*args, **kwargs)
            except Exception:
                report_error(where)

        return wrapper  # type: ignore[return-value]

    return decorate


def guarded_async(where: str, func: Callable[..., None]) -> Callable[..., Awaitable[None]]:
    """An async hook (httpx.AsyncClient wants coroutines) running the sync ``func``."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except Exception:
            report_error(where)

    return wrapper
