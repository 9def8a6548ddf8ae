"""``observe()`` switches on the provider instrumentors, as aiobs's does.

Every instrumentor registered under our ``opentelemetry_instrumentor`` entry
points whose SDK is installed is switched on by the first ``observe()``, once
per process; one already on (``opentelemetry-instrument``, or switched on by
hand) is left alone. ``AIOBS_INSTRUMENT`` chooses, read once: unset or ``all``
(every one), ``none`` (no one), or a comma-separated list of entry-point names
(``aiobs_openai_chat``, or without the prefix: ``openai_chat``) or SDK groups
(``openai``, ``genai``). ``reset()`` switches off what ``observe()`` switched on.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

logger = logging.getLogger("aiobs_otel")

INSTRUMENT_ENV = "AIOBS_INSTRUMENT"
_GROUP = "opentelemetry_instrumentor"
_PREFIX = "aiobs_"

_lock = threading.Lock()
_switched_on: list[Any] = []  # instrumentors observe() switched on (reset() undoes them)
_done = False


def our_entry_points() -> list[EntryPoint]:
    return [ep for ep in entry_points(group=_GROUP) if ep.value.startswith("aiobs_otel.")]


def _wanted(name: str, choice: str) -> bool:
    choice = choice.strip().lower()
    if choice in ("", "all", "true", "1"):
        return True
    if choice in ("none", "false", "0", "off"):
        return False
    short = name[len(_PREFIX) :] if name.startswith(_PREFIX) else name
    wanted = {c.strip() for c in choice.split(",") if c.strip()}
    return bool({name, short, short.split("_", 1)[0]} & wanted)


def instrument_installed(**instrument_kwargs: Any) -> list[str]:
    """Switch on our installed instrumentors (see the module doc); return the
    entry-point names switched on now. Never raises."""
    global _done
    with _lock:
        if _done:
            return []
        _done = True
        choice = os.environ.get(INSTRUMENT_ENV, "")
        names: list[str] = []
        for entry_point in our_entry_points():
            if not _wanted(entry_point.name, choice):
                continue
            try:
                instrumentor = entry_point.load()()
                if instrumentor.is_instrumented_by_opentelemetry:
                    continue  # already on: never wrapped twice
                if get_dependency_conflicts(instrumentor.instrumentation_dependencies()):
                    continue  # its SDK is not installed (or not a supported release)
                instrumentor.instrument(**instrument_kwargs)
            except Exception:
                logger.warning(
                    "aiobs-otel: could not switch on %s; its calls are not traced",
                    entry_point.name,
                    exc_info=True,
                )
                continue
            _switched_on.append(instrumentor)
            names.append(entry_point.name)
        if names:
            logger.debug("aiobs-otel: instrumented %s", ", ".join(names))
        return names


def leave_to_opentelemetry_instrument() -> None:
    """Zero-code mode: ``opentelemetry-instrument`` loads the instrumentors."""
    global _done
    with _lock:
        _done = True


def uninstrument_switched_on() -> None:
    """Switch off what ``instrument_installed`` switched on; the next
    ``observe()`` switches them on again."""
    global _done
    with _lock:
        for instrumentor in reversed(_switched_on):
            try:
                instrumentor.uninstrument()
            except Exception:
                logger.warning("aiobs-otel: could not switch off %s", instrumentor, exc_info=True)
        _switched_on.clear()
        _done = False
