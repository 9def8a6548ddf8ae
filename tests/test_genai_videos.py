"""Veo generate_videos and its operation polled to the end, against a loopback server."""
# ruff: noqa: F811  (fixtures imported from genai_fixtures are parameters here)

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from google import genai
from google.genai import models, types
from opentelemetry.trace import StatusCode

from aiobs_otel import attributes as A
from aiobs_otel.instrumentors.google_genai import operations
from genai_fixtures import (  # noqa: F401  (fixtures)
    FAILING_VEO,
    VIDEO_URI,
    instrumented,
    make_client,
    metric_reader,
    no_secret,
    standin,
)

VEO = "veo-2.0-generate-001"
_PARAMETERS = inspect.signature(models.Models.generate_videos).parameters
HAS_IMAGE, HAS_SOURCE = "image" in _PARAMETERS, "source" in _PARAMETERS
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


@pytest.fixture(params=["vertex", "gemini"])
def veo_client(request: pytest.FixtureRequest, standin: Any) -> genai.Client:
    vertex = request.param == "vertex"
    client = make_client(standin, vertex=vertex)
    if not vertex and "only supported in" in _dev_api_veo_support(client):
        pytest.skip("this google-genai release serves Veo through Vertex AI only")
    return client


def _dev_api_veo_support(client: genai.Client) -> str:
    try:
        client.models.generate_videos(model=VEO, prompt="probe")
    except ValueError as error:
        return str(error)
    return ""


def by_name(spans: Any) -> dict[str, Any]:
    return {s.name: s for s in spans.get_finished_spans()}


def poll(client: genai.Client, operation: Any) -> Any:
    while not operation.done:
        operation = client.operations.get(operation)
    return operation


def expected_videos(client: genai.Client) -> list[dict[str, Any]]:
    if client._api_client.vertexai:
        return [{"uri": "gs://bucket/out.mp4", "mime_type": "video/mp4"}]
    return [{"uri": VIDEO_URI, "mime_type": None}]


def test_generate_videos_polled_to_done(
    veo_client: genai.Client, instrumented: Any, spans: Any, observer: Any, flush_json: Any
) -> None:
    observer.observe(session_name="veo")
    spans.clear()
    # seed is a Vertex parameter: some google-genai releases (2.x) refuse it for Gemini
    seed = {"seed": 3} if veo_client._api_client.vertexai else {}
    config = types.GenerateVideosConfig(
        aspect_ratio="16:9", number_of_videos=1, duration_seconds=8, negative_prompt="rain",
        http_options=types.HttpOptions(headers={"x-goog-api-key": "AIza-in-config"}), **seed,
    )  # fmt: skip
    image = types.Image(image_bytes=JPEG, mime_type="image/jpeg")
    if not HAS_IMAGE:
        pytest.skip("this google-genai release takes no image= for Veo")
    operation = veo_client.models.generate_videos(
        model=VEO, prompt="A cat surfing", image=image, config=config
    )
    assert not operation.done
    created = by_name(spans)[f"generate_videos {VEO}"]
    extra = json.loads(created.attributes[A.AIOBS_REQUEST_EXTRA])
    assert extra["prompt"] == "A cat surfing"
    assert extra["image"] == {"type": "blob", "mime_type": "image/jpeg", "size": len(JPEG)}
    assert extra["config"] == {
        "aspect_ratio": "16:9", "number_of_videos": 1, "duration_seconds": 8, **seed,
        "negative_prompt": "rain",
    }  # fmt: skip
    state = json.loads(created.attributes[A.AIOBS_RESPONSE_EXTRA])
    assert state == {"operation_name": operation.name, "done": False}

    finished = poll(veo_client, operation)
    assert finished.response.generated_videos[0].video.uri
    done = by_name(spans)[f"poll generate_videos {VEO}"]
    assert [link.context.span_id for link in done.links] == [created.context.span_id]
    assert done.attributes[A.AIOBS_COMPLETES_SPAN_ID] == format(created.context.span_id, "016x")
    assert done.attributes[A.GEN_AI_PROVIDER_NAME] == created.attributes[A.GEN_AI_PROVIDER_NAME]
    final = json.loads(done.attributes[A.AIOBS_RESPONSE_EXTRA])
    videos = [{k: v for k, v in video.items() if v is not None} for video in final.pop(
        "generated_videos")]  # fmt: skip
    assert final == {"operation_name": operation.name, "done": True}
    assert videos == [{k: v for k, v in e.items() if v} for e in expected_videos(veo_client)]
    assert len(spans.get_finished_spans()) == 2  # the unfinished poll recorded nothing

    document = flush_json()
    (event,) = document["events"]
    assert event["api"] == "models.generate_videos" and event["provider"] == "gemini"
    assert event["span_id"] == format(created.context.span_id, "016x")
    assert event["request"]["model"] == VEO
    assert event["request"]["image"]["size"] == len(JPEG)
    assert event["response"]["done"] is True
    # aiobs's shape: each generated video under "video"
    (video,) = event["response"]["generated_videos"]
    assert video["video"]["uri"] == expected_videos(veo_client)[0]["uri"]
    assert event["error"] is None
    text = json.dumps(document) + json.dumps(
        [dict(s.attributes) for s in spans.get_finished_spans()]
    )
    no_secret(text)
    assert "AIza-in-config" not in text and "\\xff\\xd8" not in text


async def test_async_generate_videos_and_poll(
    veo_client: genai.Client, instrumented: Any, spans: Any
) -> None:
    if HAS_SOURCE:
        source = types.GenerateVideosSource(prompt="A dog")
        operation = await veo_client.aio.models.generate_videos(model=VEO, source=source)
    else:
        operation = await veo_client.aio.models.generate_videos(model=VEO, prompt="A dog")
    while not operation.done:
        operation = await veo_client.aio.operations.get(operation)
    names = by_name(spans)
    created, done = names[f"generate_videos {VEO}"], names[f"poll generate_videos {VEO}"]
    assert json.loads(created.attributes[A.AIOBS_REQUEST_EXTRA]) == {"prompt": "A dog"}
    assert done.links[0].context.span_id == created.context.span_id
    assert json.loads(done.attributes[A.AIOBS_RESPONSE_EXTRA])["done"] is True


def test_poll_in_a_later_flush_is_its_own_event(
    standin: Any, instrumented: Any, observer: Any, flush_json: Any
) -> None:
    client = make_client(standin, vertex=True)
    observer.observe()
    operation = client.models.generate_videos(model=VEO, prompt="A fox")
    first = flush_json()
    assert first["events"][0]["response"]["done"] is False
    observer.observe()
    poll(client, operation)
    (event,) = flush_json()["events"]
    assert event["response"]["done"] is True
    assert event["response"]["operation_name"] == operation.name


def test_failed_operation_reaches_span_and_event(
    standin: Any, instrumented: Any, spans: Any, observer: Any, flush_json: Any
) -> None:
    client = make_client(standin, vertex=True)
    observer.observe()
    poll(client, client.models.generate_videos(model=FAILING_VEO, prompt="x"))
    done = by_name(spans)[f"poll generate_videos {FAILING_VEO}"]
    assert done.status.status_code is StatusCode.ERROR
    assert done.attributes[A.ERROR_TYPE] == "3"
    (event,) = flush_json()["events"]
    assert event["error"] == "OperationError: prompt blocked"
    assert event["response"]["error"] == {"code": 3, "message": "prompt blocked"}


def test_poll_span_ends_even_when_recording_it_fails(
    standin: Any, instrumented: Any, spans: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("recorder bug")

    monkeypatch.delenv("AIOBS_OTEL_STRICT")  # report instead of raising, as in production
    monkeypatch.setattr(operations, "record_operation_error", broken)
    client = make_client(standin, vertex=True)
    final = poll(client, client.models.generate_videos(model=FAILING_VEO, prompt="x"))
    assert final.done
    done = by_name(spans)[f"poll generate_videos {FAILING_VEO}"]
    assert done.end_time is not None  # ended, not leaked


def test_api_error_and_sdk_error(standin: Any, instrumented: Any, spans: Any) -> None:
    from google.genai import errors

    client = make_client(standin, vertex=True)
    with pytest.raises(errors.ClientError):
        client.models.generate_videos(model="no-such-model", prompt="x")
    (span,) = spans.get_finished_spans()
    assert span.attributes[A.ERROR_TYPE] == "400"
    assert span.status.status_code is StatusCode.ERROR


def test_pending_operations_are_bounded() -> None:
    pending = operations.PendingOperations(limit=2)
    marker = operations.PendingOperation(span_context=None, call=None, session_id=None)  # type: ignore[arg-type]
    for name in ("a", "b", "c"):
        pending.remember(name, marker)
    assert len(pending) == 2
    assert pending.take("a") is None and pending.take("c") is marker


def test_uninstrument_restores_polling(standin: Any, instrumented: Any, spans: Any) -> None:
    from google.genai import operations

    for instrumentor in instrumented:
        instrumentor.uninstrument()
    import wrapt

    assert not isinstance(operations.Operations.get, wrapt.ObjectProxy)
    assert not isinstance(operations.AsyncOperations.get, wrapt.ObjectProxy)
    client = make_client(standin, vertex=True)
    poll(client, client.models.generate_videos(model=VEO, prompt="x"))
    assert spans.get_finished_spans() == ()
    for instrumentor in instrumented:
        instrumentor.instrument()


def test_poll_recorder_fault_never_breaks_polling(
    standin: Any, instrumented: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("poll recorder bug")

    monkeypatch.delenv("AIOBS_OTEL_STRICT")
    monkeypatch.setattr(operations, "record_poll", broken)
    client = make_client(standin, vertex=True)
    assert poll(client, client.models.generate_videos(model=VEO, prompt="x")).done
