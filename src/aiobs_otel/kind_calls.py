"""What one call of a kind-aware ``@observe`` function adds to its span and record.

A plain ``@observe`` function (kind ``function``, no extra option) never gets
here. For the others, ``KindCall`` adds, at the span's start: the tool call id
and arguments, a generation's prompt as input messages, the span's metadata;
when the call ends: the tool result, a generation's response, usage and cost
(unless an LLM span below reported the usage: ``trace_context.UsageMarker``),
the captured locals and ``self``; after the span ended: the sampled
evaluations. Content (tool arguments and results, prompts and responses)
follows the content-capture switch, read when the function was decorated.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context

from . import attributes as A
from . import kinds
from .capture import FrameCatcher, locals_json, self_json, unavailable_json
from .evaluations import schedule_evaluations
from .generation import GenerationInput, finish_generation
from .limits import limited_json, span_io_limit
from .observe_options import KindFields, KindOptions, named_arguments
from .trace_context import UsageMarker, span_metadata_json, with_usage_marker

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext


class KindCall:
    """One call's kind-specific work (see the module doc)."""

    __slots__ = ("catcher", "frame", "generation", "inputs", "marker", "options", "owner")

    def __init__(self, options: KindOptions) -> None:
        self.options = options
        self.catcher: FrameCatcher | None = None
        self.frame: FrameType | None = None
        self.generation: GenerationInput | None = None
        self.marker: UsageMarker | None = None
        self.owner: Any = None  # the object a method runs on (capture_self)
        self.inputs: Any = None  # what an evaluation judges as the call's input

    def start(
        self,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        attributes: dict[str, Any],
        record: KindFields,
    ) -> None:
        """Add the call's own start attributes (before the span starts)."""
        options = self.options
        if options.metadata is not None:
            attributes[A.OPENINFERENCE_METADATA] = span_metadata_json(options.metadata)
        if options.capture_self and args:
            self.owner = args[0]
        if options.evals is not None:
            self.inputs = named_arguments(options, args, kwargs)
        kind = options.kind
        if kind == kinds.TOOL:
            call_id = self._tool_call_id(args, kwargs)
            attributes[A.GEN_AI_TOOL_CALL_ID] = call_id
            record.tool_call_id = call_id
            if options.content and options.content_on_span:
                arguments = named_arguments(options, args, kwargs)
                # The model's call id is the span's gen_ai.tool.call.id, not an argument
                # the model passed to the tool.
                arguments.pop("tool_call_id", None)
                attributes[A.GEN_AI_TOOL_CALL_ARGUMENTS] = limited_json(arguments, span_io_limit())
        elif kind == kinds.GENERATION:
            self.marker = UsageMarker()
            generation = GenerationInput.read(options, args, kwargs)
            self.generation = generation
            if options.content:
                record.prompt = generation.export_prompt()
                if options.content_on_span:
                    attributes.update(generation.span_attributes())

    def _tool_call_id(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
        given = kwargs.get("tool_call_id")
        index = self.options.tool_call_id_index
        if given is None and index is not None and index < len(args):
            given = args[index]
        if isinstance(given, str) and given:
            return given
        return f"call_{uuid.uuid4().hex[:24]}"

    def context(self, context: Context) -> Context:
        """The context the function body runs in (a generation's usage marker)."""
        if self.marker is not None:
            return with_usage_marker(self.marker, context)
        return context

    def catch_frame(self) -> None:
        """Before a plain function's body runs: catch its frame (capture_locals)."""
        if self.options.capture_locals and self.options.code is not None:
            self.catcher = FrameCatcher(self.options.code)
            self.catcher.start()

    def watch_frame(self, frame: FrameType | None) -> None:
        """A generator's or coroutine's frame, for capture_locals."""
        if self.options.capture_locals:
            self.frame = frame

    def release(self) -> None:
        """Right after the body ran: remove the frame catcher's hook."""
        catcher = self.catcher
        if catcher is not None:
            catcher.stop()
            if catcher.frame is not None:
                self.frame = catcher.frame

    def finish(
        self, result: Any, failed: bool, attributes: dict[str, Any], record: KindFields
    ) -> None:
        """Add what the call's end tells (after the body ran, before the span ends)."""
        options = self.options
        if options.capture_locals:
            unavailable = self.catcher is not None and self.catcher.unavailable
            found = unavailable_json() if unavailable else locals_json(
                self.frame, options.capture_locals
            )  # fmt: skip
            self.frame = None
            if found is not None:
                record.locals_json = found
                attributes[A.AIOBS_FUNCTION_LOCALS] = found
        if self.owner is not None:
            found = self_json(self.owner)
            self.owner = None
            if found is not None:
                record.self_json = found
                attributes[A.AIOBS_FUNCTION_SELF] = found
        if failed:
            return
        if options.kind == kinds.TOOL and options.content and options.content_on_span:
            attributes[A.GEN_AI_TOOL_CALL_RESULT] = limited_json(result, span_io_limit())
        elif options.kind == kinds.GENERATION and self.generation is not None:
            reported_below = self.marker is not None and self.marker.reported
            finish_generation(self.generation, result, reported_below, options, attributes, record)

    def evaluate(self, span_context: SpanContext, result: Any) -> None:
        """After a successful call's span ended: maybe queue its evaluations."""
        options = self.options
        if options.evals is None:
            return
        generation = self.generation
        inputs = generation.prompt_text if generation is not None else None
        schedule_evaluations(
            options.evals, span_context=span_context,
            inputs=inputs if inputs is not None else self.inputs, output=result,
        )  # fmt: skip
        self.inputs = None
