"""Gemini / Veo ``generate_videos`` (google-genai), sync and async, and the
completion of its long-running operation.

A Veo call returns an unfinished operation; the videos exist only once the
user's polling (``client.operations.get``) sees ``done``. So:

1. ``generate_videos`` is an ordinary provider span: request (model, prompt,
   image / video metadata, config) and the returned operation's name and
   ``done``. Its span context is remembered under the operation name (a
   bounded map: the oldest entries go first).
2. When ``Operations.get`` / ``AsyncOperations.get`` returns that operation
   ``done``, a short CLIENT span ``poll generate_videos {model}`` records the
   final state (done, generated videos' URI / mime type, error), with a Link
   to the ``generate_videos`` span and ``aiobs.completes.span_id`` naming it.
   Polls that are not done yet record nothing.
3. The JSON export merges that final state into the ``generate_videos`` event
   when both spans are in the same flush; otherwise the poll is its own
   ``models.generate_videos`` event.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Link, SpanContext, SpanKind, Tracer

from .. import attributes as A
from .._callsite import callsite_attributes
from .._safe import dumps, report_internal_error, to_jsonable, truncate_text
from . import _genai_common as g
from ._base import ProviderInstrumentor, Target
from ._common import end_span, listed, record_error, span_name
from ._lifecycle import ApiRecorder, ProviderCall, Telemetry, Wrapper

OPERATION = "generate_videos"
_MODELS = "google.genai.models"
_OPERATIONS = "google.genai.operations"
MAX_PENDING = 1024

# Config fields worth keeping (whitelisted: the config also holds http_options,
# whose headers may carry credentials).
_CONFIG_FIELDS = (
    "number_of_videos", "aspect_ratio", "resolution", "duration_seconds", "fps", "seed",
    "generate_audio", "enhance_prompt", "person_generation", "output_gcs_uri",
    "compression_quality", "resize_mode",
)  # fmt: skip


# --- request -------------------------------------------------------------------


def _config(config: Any, content: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _CONFIG_FIELDS:
        value = g.field(config, name)
        if value is not None:
            out[name] = g.enum_text(value) if hasattr(value, "name") else value
    if content and g.field(config, "negative_prompt"):
        out["negative_prompt"] = truncate_text(str(g.field(config, "negative_prompt")))
    last_frame = g.media(g.field(config, "last_frame"))
    if last_frame:
        out["last_frame"] = last_frame
    references = listed(g.field(config, "reference_images")) or ()
    if references:
        out["reference_images"] = [
            {"image": g.media(g.field(r, "image")),
             "reference_type": g.enum_text(g.field(r, "reference_type"))}
            for r in references
        ]  # fmt: skip
    return out


def _inputs(kwargs: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """prompt, image, video: from the keyword form or the newer ``source=``."""
    source = kwargs.get("source")
    prompt, image, video = kwargs.get("prompt"), kwargs.get("image"), kwargs.get("video")
    if source is not None:
        prompt = prompt or g.field(source, "prompt")
        image = image or g.field(source, "image")
        video = video or g.field(source, "video")
    return prompt, image, video


class GenerateVideosRecorder:
    def request(self, instance: Any, kwargs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        model = kwargs.get("model")
        attributes = g.base_attributes(instance, OPERATION, model)
        extra, _ = _request(kwargs, content=False)
        settings = extra.get("config") or {}
        for name, key in (("seed", A.GEN_AI_REQUEST_SEED),
                          ("number_of_videos", A.GEN_AI_REQUEST_CHOICE_COUNT)):  # fmt: skip
            if isinstance(settings.get(name), int):
                attributes[key] = settings[name]
        attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)
        return span_name(OPERATION, model), attributes

    def content(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        # The extra again, now with the prompt and negative prompt (it replaces request()'s).
        extra, parts = _request(kwargs, content=True)
        out = {A.AIOBS_REQUEST_EXTRA: dumps(extra)}
        if parts:
            out[A.GEN_AI_INPUT_MESSAGES] = dumps([{"role": "user", "parts": parts}])
        return out

    def stream(self, result: Any, content: bool) -> None:
        return None

    def response(self, call: ProviderCall, result: Any) -> None:
        state = operation_state(result)
        call.set({A.AIOBS_RESPONSE_EXTRA: dumps(state)})
        name = state.get("operation_name")
        if isinstance(name, str) and name and not state.get("done"):
            PENDING.remember(name, _pending_from(call))

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


def _request(kwargs: Mapping[str, Any], content: bool) -> tuple[dict[str, Any], list[Any]]:
    """The request extra (prompt with ``content``, media metadata, config) and input parts."""
    prompt, image, video = _inputs(kwargs)
    extra: dict[str, Any] = {}
    parts: list[dict[str, Any]] = []
    if content and prompt:
        extra["prompt"] = truncate_text(str(prompt))
        parts.append(g.part(str(prompt)))
    for key, value in (("image", image), ("video", video)):
        described = g.media(value)
        if described:
            extra[key] = described
            parts.append(described)
    settings = _config(kwargs.get("config"), content)
    if settings:
        extra["config"] = settings
    return extra, parts


def operation_state(operation: Any) -> dict[str, Any]:
    """``{operation_name, done, generated_videos?, error?}`` (never video bytes)."""
    state: dict[str, Any] = {
        "operation_name": g.field(operation, "name"),
        "done": bool(g.field(operation, "done")),
    }
    response = g.field(operation, "response") or g.field(operation, "result")
    videos = g.field(response, "generated_videos")
    if videos is not None or state["done"]:
        state["generated_videos"] = [_video(g.field(v, "video")) for v in videos or []]
    filtered = g.field(response, "rai_media_filtered_count")
    if filtered:
        state["rai_media_filtered_count"] = filtered
        state["rai_media_filtered_reasons"] = g.field(response, "rai_media_filtered_reasons")
    error = g.field(operation, "error")
    if error:
        state["error"] = to_jsonable(error)
    return state


def _video(video: Any) -> dict[str, Any]:
    """A generated video as ``{uri, mime_type}`` (``size`` instead when returned as bytes)."""
    described = g.media(video) or {}
    described.pop("type", None)
    return described


# --- pending operations ----------------------------------------------------------


@dataclass(frozen=True)
class PendingOperation:
    """What a later poll needs to report the operation's end."""

    span_context: SpanContext
    attributes: dict[str, Any]  # provider, operation, model, server, session


def _pending_from(call: ProviderCall) -> PendingOperation:
    recorded = getattr(call.span, "attributes", None) or {}
    keep = (A.GEN_AI_PROVIDER_NAME, A.GEN_AI_OPERATION_NAME, A.GEN_AI_REQUEST_MODEL,
            A.SERVER_ADDRESS, A.SERVER_PORT, A.SESSION_ID)  # fmt: skip
    return PendingOperation(
        call.span.get_span_context(), {k: recorded[k] for k in keep if k in recorded}
    )


class PendingOperations:
    """Operation name -> its generate_videos span; bounded, thread-safe."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._items: OrderedDict[str, PendingOperation] = OrderedDict()

    def remember(self, name: str, pending: PendingOperation) -> None:
        with self._lock:
            self._items[name] = pending
            self._items.move_to_end(name)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def take(self, name: str) -> PendingOperation | None:
        with self._lock:
            return self._items.pop(name, None)

    def __len__(self) -> int:
        return len(self._items)


PENDING = PendingOperations()


# --- polling ----------------------------------------------------------------------


class OperationError(Exception):
    """A finished operation's own error (the API call itself succeeded)."""


def _record_poll(tracer: Tracer, operation: Any, start_ns: int) -> None:
    """Emit the completion span when ``operation`` is a done, remembered one."""
    name = g.field(operation, "name")
    if not isinstance(name, str) or not g.field(operation, "done"):
        return
    pending = PENDING.take(name)
    if pending is None:
        return
    attributes = dict(pending.attributes)
    attributes.update(callsite_attributes())
    attributes[A.AIOBS_COMPLETES_SPAN_ID] = format(pending.span_context.span_id, "016x")
    state = operation_state(operation)
    attributes[A.AIOBS_RESPONSE_EXTRA] = dumps(state)
    span = tracer.start_span(
        span_name(f"poll {OPERATION}", attributes.get(A.GEN_AI_REQUEST_MODEL)),
        kind=SpanKind.CLIENT, attributes=attributes,
        links=[Link(pending.span_context)], start_time=start_ns,
    )  # fmt: skip
    try:
        error = state.get("error")
        if error:
            code = g.field(error, "code")
            message = str(g.field(error, "message") or error)
            error_type = str(code) if code is not None else "OperationError"
            record_error(span, error_type, OperationError(message))
    finally:
        end_span(span)


def _poll_wrapper(tracer: Tracer, is_async: bool) -> Wrapper:
    def after(result: Any, start_ns: int) -> None:
        try:
            _record_poll(tracer, result, start_ns)
        except Exception:
            report_internal_error("recording a Veo operation poll")

    def traced(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:  # fmt: skip
        start_ns = time.time_ns()
        result = wrapped(*args, **kwargs)
        after(result, start_ns)
        return result

    async def traced_async(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                           kwargs: dict[str, Any]) -> Any:  # fmt: skip
        start_ns = time.time_ns()
        result = await wrapped(*args, **kwargs)
        after(result, start_ns)
        return result

    return traced_async if is_async else traced


class GenAIGenerateVideosInstrumentor(ProviderInstrumentor):
    """Traces ``Models`` / ``AsyncModels`` ``.generate_videos`` of google-genai
    (Veo), and reports each operation's end when ``client.operations.get``
    (sync or async) sees it done."""

    scope = "aiobs_otel.genai"
    instruments = ("google-genai >= 1.3.0, < 4",)
    targets = (
        Target(_MODELS, "Models.generate_videos"),
        Target(_MODELS, "AsyncModels.generate_videos", is_async=True),
    )
    extra_targets = (
        Target(_OPERATIONS, "Operations.get"),
        Target(_OPERATIONS, "AsyncOperations.get", is_async=True),
    )

    def recorder(self) -> ApiRecorder:
        return GenerateVideosRecorder()

    def extra_wrapper(self, target: Target, telemetry: Telemetry) -> Wrapper:
        return _poll_wrapper(telemetry.tracer, target.is_async)
