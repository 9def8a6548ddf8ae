"""Find the user's frame that made an instrumented call (``code.*`` attributes)."""

from __future__ import annotations

import sys
from types import FrameType

from . import attributes as A

# Frames from these packages are never "the user's": the SDKs, their HTTP
# stack, wrapt, OpenTelemetry, asyncio plumbing and our own wrappers. A module
# is one of them when its name is the package or starts with "package." (so a
# user's "openai_client" or "asyncio_helpers" is still the user's).
_LIBRARY_PACKAGES = frozenset(
    {
        "openai",
        "google.genai",
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
        "anyio",
        "sniffio",
        "wrapt",
        "opentelemetry",
        "asyncio",
        "contextlib",
        "functools",
        "concurrent.futures",
        "threading",
        "aiobs_otel.instrumentors",
        "aiobs_otel.decorators",
    }
)
_MAX_FRAMES = 64
_is_library_cache: dict[str, bool] = {}


def _is_library(module: str) -> bool:
    known = _is_library_cache.get(module)
    if known is None:
        known = module.startswith("aiobs_otel._") or any(
            module == package or module.startswith(package + ".") for package in _LIBRARY_PACKAGES
        )
        _is_library_cache[module] = known
    return known


def user_frame(skip: int = 1) -> FrameType | None:
    """The nearest calling frame outside the SDKs and this package."""
    frame: FrameType | None = sys._getframe(skip)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            return None
        if not _is_library(frame.f_globals.get("__name__", "")):
            return frame
        frame = frame.f_back
    return None


def callsite_attributes(skip: int = 2) -> dict[str, str | int]:
    """``code.*`` attributes of the user's calling frame (empty when none is found)."""
    frame = user_frame(skip)
    if frame is None:
        return {}
    code = frame.f_code
    return {
        A.CODE_FILE_PATH: code.co_filename,
        A.CODE_LINE_NUMBER: frame.f_lineno,
        A.CODE_FUNCTION_NAME: getattr(code, "co_qualname", code.co_name),
    }
