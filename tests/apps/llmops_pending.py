"""Stand-ins, for the llmops examples' tests only, for the two llmops names
that issue 12 brings (``TraceManager`` and ``track_function``, to come in
``aiobs_otel.llmops``); until then they map onto the aiobs API they will wrap:
``start_trace`` opens a session, ``@track_function()`` is ``@observe``.
Everything HTTP in the examples is the real ``aiobs_otel.http``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiobs_otel import observe, observer


class TraceManager:
    @staticmethod
    def start_trace(name: str, **context: Any) -> None:
        if observer.session_id is None:
            observer.observe(session_name=name)

    @staticmethod
    def finalize_and_send(**details: Any) -> None:
        return None


def track_function(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return observe
