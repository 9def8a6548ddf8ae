"""Find what an instrumentation patched in the SDKs, so a benchmark can switch
it on and off by swapping attributes, without calling ``instrument()`` /
``uninstrument()`` every round.

Why: not every instrumentation's ``uninstrument()`` really removes its
wrappers (one measured here leaves them and stacks a new layer on every
``instrument()``), which would make the "uninstrumented" arm instrumented.
Swapping the exact attributes ``instrument()`` changed works for all of them.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any

SDK_PACKAGES = ("openai", "google.genai")
_MISSING = object()

Key = tuple[int, str]


@dataclass(frozen=True)
class Patch:
    owner: Any
    name: str
    original: Any  # _MISSING when instrument() added the attribute
    patched: Any

    def apply(self) -> None:
        setattr(self.owner, self.name, self.patched)

    def revert(self) -> None:
        if self.original is _MISSING:
            if self.name in vars(self.owner):
                delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.original)


def _in_sdk(module_name: str) -> bool:
    # The data models (openai.types.*, google.genai.types) are thousands of
    # classes nobody patches; leaving them out keeps a snapshot fast.
    if ".types" in module_name:
        return False
    return any(module_name == p or module_name.startswith(p + ".") for p in SDK_PACKAGES)


def snapshot() -> dict[Key, tuple[Any, str, Any]]:
    """Every attribute of every loaded SDK module and of the classes they define."""
    found: dict[Key, tuple[Any, str, Any]] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not _in_sdk(module_name):
            continue
        for name, value in list(vars(module).items()):
            found[(id(module), name)] = (module, name, value)
            # type(), not isinstance(): openai's lazy proxies import half the SDK
            # when asked for their __class__.
            if issubclass(type(value), type) and vars(value).get("__module__") == module_name:
                for attr, member in list(vars(value).items()):
                    found[(id(value), attr)] = (value, attr, member)
    return found


def diff(before: dict[Key, tuple[Any, str, Any]],
         after: dict[Key, tuple[Any, str, Any]]) -> list[Patch]:  # fmt: skip
    """The attributes that changed (or appeared on an owner seen before)."""
    owners = {key[0] for key in before}
    patches = []
    for key, (owner, name, value) in after.items():
        if name.startswith("__") or issubclass(type(value), type):
            continue  # pydantic finishing a lazy model, a lazily resolved class: not patches
        old = before.get(key)
        if old is not None:
            if old[2] is not value:
                patches.append(Patch(owner, name, old[2], value))
        elif key[0] in owners and not issubclass(type(value), types.ModuleType):
            # (a submodule imported meanwhile is not a patch)
            patches.append(Patch(owner, name, _MISSING, value))
    return patches
