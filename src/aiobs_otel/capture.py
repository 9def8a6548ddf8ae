"""``capture_locals`` and ``capture_self``: a call's local variables when it
returns (or raises), and the attributes of the object a method runs on.

Locals are read from the call's own frame after it finished (CPython keeps a
finished frame's variables while someone holds the frame). Generators and
coroutines hand us their frame when they are created; for a plain function we
need the frame of one call, which only a profile hook sees: it is installed
just before the call and removes itself at the function's first line, so the
function body and everything it calls run without it. A decorated function
with ``capture_locals`` off never installs it (its cost is one attribute test
per call). When another profiler is active (``cProfile``) the hook is not
installed and the call's locals are recorded as unavailable.

Both go through ``limits.limited_json`` (secret-looking names redacted, the
span input / output limit).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from .limits import limited_json, span_io_limit

UNAVAILABLE = "<locals unavailable: another profiler is active>"
_SKIPPED = frozenset(("self",))  # self has its own switch (capture_self)


def validate_capture_locals(value: object) -> bool | tuple[str, ...]:
    """``True`` / ``False``, or the names to keep (a list of strings)."""
    if isinstance(value, bool):
        return value
    if (
        isinstance(value, (list, tuple, set, frozenset))
        and value
        and all(isinstance(name, str) for name in value)
    ):
        return tuple(value)
    raise ValueError(
        f"capture_locals must be True, False or a non-empty list of variable names, got {value!r}"
    )


class FrameCatcher:
    """Catches the frame of one call of ``code`` (a plain function's)."""

    __slots__ = ("_hook", "code", "frame", "unavailable")

    def __init__(self, code: Any) -> None:
        self.code = code
        self.frame: FrameType | None = None
        self.unavailable = False
        self._hook: Callable[..., Any] | None = None

    def start(self) -> None:
        if sys.getprofile() is not None:
            self.unavailable = True
            return

        def hook(frame: FrameType, event: str, arg: Any) -> None:
            if event == "call" and frame.f_code is self.code:
                self.frame = frame
                sys.setprofile(None)

        self._hook = hook
        sys.setprofile(hook)

    def stop(self) -> None:
        """Remove the hook if the function never reached its first line."""
        hook, self._hook = self._hook, None
        if hook is not None and sys.getprofile() is hook:
            sys.setprofile(None)


def locals_json(frame: FrameType | None, names: bool | Iterable[str]) -> str | None:
    """The JSON of a finished frame's variables (only ``names`` when a list)."""
    if frame is None:
        return None
    found = dict(frame.f_locals)
    if isinstance(names, bool):
        chosen = {k: v for k, v in found.items() if k not in _SKIPPED} if names else {}
    else:
        chosen = {k: found[k] for k in names if k in found}
    return limited_json(chosen, span_io_limit())


def unavailable_json() -> str:
    return limited_json(UNAVAILABLE, span_io_limit())


def self_json(obj: Any) -> str | None:
    """The JSON of an object's own attributes (``__dict__`` and ``__slots__``)."""
    attributes: dict[str, Any] = {}
    with contextlib.suppress(TypeError):  # no __dict__
        attributes.update(vars(obj))
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if isinstance(name, str) and name not in attributes and hasattr(obj, name):
                attributes[name] = getattr(obj, name)
    attributes.pop("__weakref__", None)
    return limited_json(attributes, span_io_limit())


def takes_self(func: Callable[..., Any]) -> bool:
    """Whether ``func``'s first parameter is named ``self`` (a method)."""
    code = getattr(func, "__code__", None)
    return bool(code is not None and code.co_argcount and code.co_varnames[0] == "self")
