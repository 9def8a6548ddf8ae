"""The guard around our hook code: the contrib instrumentations call request
and response hooks without a try, so a bug of ours must stop here."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

logger = logging.getLogger("aiobs_otel")

_F = TypeVar("_F", bound=Callable[..., Any])


def report_error(where: str) -> None:
    """Log the exception being handled; re-raise it under our own tests
    (``AIOBS_OTEL_STRICT=1``) so they cannot hide a bug. Call from ``except``."""
    if os.environ.get("AIOBS_OTEL_STRICT") == "1":
        raise
    logger.warning(
        "aiobs-otel: internal error in %s; your code still runs, with less telemetry",
        where,
        exc_info=True,
    )


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
