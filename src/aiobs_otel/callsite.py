"""Find the user's frame that made an instrumented call (the ``code.*`` attributes).

A frame is "the user's" when its module belongs to none of the library
packages: the generic plumbing below, our own package, and the packages each
instrumented SDK declares (its own and its HTTP stack, see
``ProviderInstrumentor.sdk_packages``). A module is in a package when its name
is the package or starts with "package." (so a user's ``openai_client`` or
``asyncio_helpers`` is still the user's).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from types import FrameType

_GENERIC_PACKAGES = frozenset(
    {
        "wrapt",
        "opentelemetry",
        "asyncio",
        "contextlib",
        "functools",
        "concurrent.futures",
        "threading",
        "aiobs_otel",
    }
)
# Inside our package but user code: the demo pipeline is an application.
_USER_PACKAGES = ("aiobs_otel.demo",)
_MAX_FRAMES = 64

_lock = threading.Lock()
_packages: frozenset[str] = _GENERIC_PACKAGES
_is_library_cache: dict[str, bool] = {}

Callsite = tuple[str | None, int | None, str | None]


def register_library_packages(packages: Iterable[str]) -> None:
    """Treat frames of ``packages`` as library frames (an SDK and its HTTP stack)."""
    global _packages
    with _lock:
        added = frozenset(packages) - _packages
        if added:
            _packages = _packages | added
            _is_library_cache.clear()


def is_library(module: str) -> bool:
    known = _is_library_cache.get(module)
    if known is None:
        known = not module.startswith(_USER_PACKAGES) and any(
            module == p or module.startswith(p + ".") for p in _packages
        )
        _is_library_cache[module] = known
    return known


def user_frame(skip: int = 1) -> FrameType | None:
    """The nearest calling frame outside the libraries."""
    frame: FrameType | None = sys._getframe(skip)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        if not is_library(frame.f_globals.get("__name__", "")):
            return frame
        frame = frame.f_back
    return None


def user_callsite(skip: int = 2) -> Callsite | None:
    """(file, line, function) of the user's calling frame, or None."""
    frame = user_frame(skip)
    if frame is None:
        return None
    code = frame.f_code
    return code.co_filename, frame.f_lineno, getattr(code, "co_qualname", code.co_name)
