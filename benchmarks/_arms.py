"""The instrumentations measured: aiobs-otel's provider instrumentors and,
when installed, the other OpenAI instrumentations, each behind one on/off
switch so a benchmark can interleave instrumented and uninstrumented rounds.

An instrumentation that is missing, refuses the installed SDK, or produces no
span is reported as such (a status string) instead of a number.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _patches
from _telemetry import Pipeline


@dataclass(frozen=True)
class ArmSpec:
    """Where an instrumentor class lives and the distribution that ships it."""

    key: str
    distribution: str
    module: str
    attribute: str


AIOBS_CHAT = ArmSpec("aiobs-otel", "aiobs-otel", "aiobs_otel.instrumentors.openai.chat",
                     "OpenAIChatInstrumentor")  # fmt: skip
AIOBS_EMBEDDINGS = ArmSpec("aiobs-otel", "aiobs-otel",
                           "aiobs_otel.instrumentors.openai.embeddings",
                           "OpenAIEmbeddingsInstrumentor")  # fmt: skip
AIOBS_RESPONSES = ArmSpec("aiobs-otel", "aiobs-otel", "aiobs_otel.instrumentors.openai.responses",
                          "OpenAIResponsesInstrumentor")  # fmt: skip
AIOBS_EMBED_CONTENT = ArmSpec("aiobs-otel", "aiobs-otel",
                              "aiobs_otel.instrumentors.google_genai.embed_content",
                              "GenAIEmbedContentInstrumentor")  # fmt: skip
AIOBS_GENAI = ArmSpec("aiobs-otel", "aiobs-otel", "aiobs_otel.instrumentors.google_genai.content",
                      "GenAIGenerateContentInstrumentor")  # fmt: skip

# The other OpenAI instrumentations, by their PyPI names.
OTHER_OPENAI = (
    # The OpenTelemetry contrib one (formerly opentelemetry-instrumentation-openai-v2).
    ArmSpec("otel-contrib genai-openai", "opentelemetry-instrumentation-genai-openai",
            "opentelemetry.instrumentation.genai.openai", "OpenAIInstrumentor"),
    ArmSpec("otel-contrib openai-v2", "opentelemetry-instrumentation-openai-v2",
            "opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor"),
    ArmSpec("openinference", "openinference-instrumentation-openai",
            "openinference.instrumentation.openai", "OpenAIInstrumentor"),
    # OpenLLMetry (Traceloop) publishes this name.
    ArmSpec("openllmetry", "opentelemetry-instrumentation-openai",
            "opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
)  # fmt: skip


def distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


class Switch:
    """One instrumentation, switched on and off between timed batches by
    swapping in and out exactly the attributes its ``instrument()`` patched.

    The instrumentor stays "instrumented" (some wrappers check that flag on
    every call) until ``close()``.
    """

    def __init__(self, spec: ArmSpec, instrumentor: Any, patches: list[_patches.Patch]) -> None:
        self.spec = spec
        self.instrumentor = instrumentor
        self.patches = patches
        self.shape = ""  # what one traced call records, e.g. "1 span/call, 21 attributes"

    def enable(self) -> None:
        for patch in self.patches:
            patch.apply()

    def disable(self) -> None:
        for patch in reversed(self.patches):
            patch.revert()

    def close(self) -> None:
        """Uninstrument (with its wrappers in place, as it expects), then make
        sure the originals are back whatever its uninstrument() did."""
        self.enable()
        _quietly(self.instrumentor.uninstrument)
        self.disable()


# One switch per instrumentor class (instrumentors are singletons): chat and
# stream rows share it. close_all() ends them.
_opened: dict[tuple[str, str], Switch] = {}


def close_all() -> None:
    while _opened:
        _opened.popitem()[1].close()


def open_switch(spec: ArmSpec, pipeline: Pipeline,
                probe: Callable[[], Any]) -> tuple[Switch | None, str]:  # fmt: skip
    """The switch for ``spec``, checked by traced and untraced ``probe`` calls;
    or None and why it cannot be measured ("not installed", "fails with ...")."""
    version = distribution_version(spec.distribution)
    try:
        module = importlib.import_module(spec.module)
        instrumentor = getattr(module, spec.attribute)()
    except ImportError as error:
        if version is None and spec.distribution != "aiobs-otel":
            return None, "not installed"
        return None, f"not available ({type(error).__name__}: {error})"
    except Exception as error:
        return None, f"fails to import: {type(error).__name__}: {error}"
    note = _dependency_note(instrumentor) or ""
    switch = _opened.get((spec.module, spec.attribute))
    if switch is None:
        before = _patches.snapshot()
        try:
            instrumentor.instrument(
                tracer_provider=pipeline.tracer_provider,
                meter_provider=pipeline.meter_provider,
                skip_dep_check=True,
            )
        except Exception as error:
            return None, f"instrument() fails: {type(error).__name__}: {error}"
        switch = Switch(spec, instrumentor, _patches.diff(before, _patches.snapshot()))
        switch.disable()
        if not switch.patches:
            switch.close()
            return None, note + "instrument() patched nothing in the SDKs"
        _opened[(spec.module, spec.attribute)] = switch
    try:
        traced, untraced = check_switch(switch, pipeline, probe)
    except Exception as error:
        switch.disable()
        return None, _sdk_failure(error)
    if traced == 0:
        return None, note + "produced no span for the call"
    if untraced:
        return None, note + "still traces with its patches removed"
    switch.shape = (
        f"{traced} span{'s' if traced > 1 else ''}/call, {pipeline.counter.attributes} attributes"
    )
    return switch, note.rstrip("; ") or "ok"


def check_switch(switch: Switch, pipeline: Pipeline, probe: Callable[[], Any]) -> tuple[int, int]:
    """Spans one ``probe`` call makes with the switch on, and with it off."""
    counts = []
    for action in (switch.enable, switch.disable):
        action()
        before = pipeline.counter.ended
        probe()
        counts.append(pipeline.counter.ended - before)
    return counts[0], counts[1]


def _dependency_note(instrumentor: Any) -> str | None:
    """A package whose declared SDK range excludes the installed one is still
    measured (``skip_dep_check``), but the table says so."""
    try:
        from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

        conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
    except Exception:
        return None
    return f"declares {conflict.required}, installed {conflict.found}; " if conflict else None


def _sdk_failure(error: BaseException) -> str:
    import openai

    text = str(error).splitlines()[0] if str(error) else ""
    return f"fails with openai {openai.__version__}: {type(error).__name__}: {text[:160]}"


def _quietly(action: Callable[[], None]) -> None:
    with contextlib.suppress(Exception):
        action()
