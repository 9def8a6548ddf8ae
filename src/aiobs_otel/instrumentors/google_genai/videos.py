"""Gemini / Veo ``generate_videos`` (google-genai), sync and async, and the
completion of its long-running operation.

A Veo call returns an unfinished operation; the videos exist only once the
user's polling (``client.operations.get``) sees ``done``. So:

1. ``generate_videos`` is an ordinary provider span: request (model, prompt,
   image / video metadata, config) and the returned operation's name and
   ``done``. Its span context is remembered under the operation name (see
   ``operations``).
2. When ``Operations.get`` / ``AsyncOperations.get`` returns that operation
   ``done``, a short CLIENT span ``poll generate_videos {model}`` records the
   final state (done, generated videos' URI / mime type, error), with a Link
   to the ``generate_videos`` span. Polls that are not done record nothing.
3. The JSON export folds that final state into the ``generate_videos`` event
   when both spans are in the same flush; otherwise the poll is its own
   ``models.generate_videos`` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ... import attributes as A
from ...values import dumps, to_jsonable, truncate_text
from ..base import ProviderInstrumentor, Target
from ..common import listed
from ..lifecycle import Adapter, ProviderCall, Telemetry, Wrapper
from ..record import ApiSpec, LLMCall, as_int
from . import reader as g
from .operations import PENDING, PendingOperation, poll_wrapper

_MODELS = "google.genai.models"
_OPERATIONS = "google.genai.operations"

# Config fields worth keeping on spans (whitelisted: the config also holds
# http_options, whose headers may carry credentials).
_CONFIG_FIELDS = (
    "number_of_videos", "aspect_ratio", "resolution", "duration_seconds", "fps", "seed",
    "generate_audio", "enhance_prompt", "person_generation", "output_gcs_uri",
    "compression_quality", "resize_mode",
)  # fmt: skip


@dataclass(slots=True)
class VideosExport:
    prompt: Any
    image: Any
    video: Any
    config: Any
    state: dict[str, Any] | None = None  # the operation as returned (or as polled)


def videos_event(call: LLMCall) -> dict[str, Any]:
    export: VideosExport = call.export
    config = g.export_dump(export.config) if export.config is not None else None
    if isinstance(config, dict) and not call.content:
        config.pop("negative_prompt", None)
    request: dict[str, Any] = {
        "model": call.request_model,
        "prompt": to_jsonable(export.prompt) if call.content else None,
        "image": g.export_dump(export.image) if export.image is not None else None,
        "video": g.export_dump(export.video) if export.video is not None else None,
        "config": config,
        "other": {},
    }
    if export.state is None:
        return {"request": request, "response": None}
    response = {"model": call.response_model, "usage": None, **export.state}
    videos = response.get("generated_videos")
    # aiobs's shape: the key always there (null until done), each video under "video"
    response["generated_videos"] = [{"video": v} for v in videos] if videos is not None else None
    return {"request": request, "response": response}


API = ApiSpec(
    name="models.generate_videos", event_provider="gemini", operation="generate_videos",
    event=videos_event,
)  # fmt: skip


def _inputs(kwargs: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """prompt, image, video: from the keyword form or the newer ``source=``."""
    source = kwargs.get("source")
    prompt, image, video = kwargs.get("prompt"), kwargs.get("image"), kwargs.get("video")
    if source is not None:
        prompt = prompt or g.field(source, "prompt")
        image = image or g.field(source, "image")
        video = video or g.field(source, "video")
    return prompt, image, video


def _span_config(config: Any, content: bool) -> dict[str, Any]:
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


def _span_request(call: LLMCall, kwargs: Mapping[str, Any], content: bool) -> None:
    """``aiobs.request.extra`` (prompt with ``content``, media metadata, config)
    and, with content, the input message."""
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
    settings = _span_config(kwargs.get("config"), content)
    if settings:
        extra["config"] = settings
    call.extra_attributes[A.AIOBS_REQUEST_EXTRA] = dumps(extra)
    if content and parts:
        call.input_messages = [{"role": "user", "parts": parts}]


class GenerateVideosAdapter:
    api = API

    def request(self, call: LLMCall, instance: Any, kwargs: Mapping[str, Any]) -> None:
        g.read_client(call, instance, kwargs.get("model"))
        config = kwargs.get("config")
        call.seed = as_int(g.field(config, "seed"))
        call.choice_count = as_int(g.field(config, "number_of_videos"))
        prompt, image, video = _inputs(kwargs)
        call.export = VideosExport(prompt=None, image=image, video=video, config=g.snapshot(config))
        _span_request(call, kwargs, content=False)
        call.export.prompt = prompt  # shown in the export only with content (see videos_event)

    def content(self, call: LLMCall, kwargs: Mapping[str, Any]) -> None:
        # The extra again, now with the prompt and negative prompt.
        _span_request(call, kwargs, content=True)

    def stream(self, result: Any, call: LLMCall) -> None:
        return None

    def response(self, call: ProviderCall, result: Any) -> None:
        record = call.record
        state = operation_state(result)
        record.export.state = state
        record.extra_attributes[A.AIOBS_RESPONSE_EXTRA] = dumps(state)
        name = state.get("operation_name")
        if isinstance(name, str) and name and not state.get("done"):
            PENDING.remember(name, PendingOperation.of(call.span, record))

    def error_type(self, error: BaseException) -> str:
        return g.error_type(error)


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
        state["error"] = g.export_dump(error)
    return state


def _video(video: Any) -> dict[str, Any]:
    """A generated video as ``{uri, mime_type}`` (``size`` instead of returned bytes)."""
    described = g.export_dump(video)
    return described if isinstance(described, dict) else {}


class GenAIGenerateVideosInstrumentor(ProviderInstrumentor):
    """Traces ``Models`` / ``AsyncModels`` ``.generate_videos`` of google-genai
    (Veo), and reports each operation's end when ``client.operations.get``
    (sync or async) sees it done."""

    scope = "aiobs_otel.genai"
    instruments = g.INSTRUMENTS
    sdk_packages = g.SDK_PACKAGES
    targets = (
        Target(_MODELS, "Models.generate_videos"),
        Target(_MODELS, "AsyncModels.generate_videos", is_async=True),
    )
    extra_targets = (
        Target(_OPERATIONS, "Operations.get"),
        Target(_OPERATIONS, "AsyncOperations.get", is_async=True),
    )

    def adapter(self) -> Adapter:
        return GenerateVideosAdapter()

    def extra_wrapper(self, target: Target, telemetry: Telemetry) -> Wrapper:
        return poll_wrapper(telemetry.tracer, target.is_async, operation_state)
