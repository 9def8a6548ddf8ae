"""The provider stand-in, driven by the real openai and google-genai clients."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator

import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from aiobs_otel.demo import StandIn, static_google_credentials

USER = [{"role": "user", "content": "What is an API?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"],
        },
    },
}


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(video_polls=2) as server:
        yield server


@pytest.fixture
def oai(standin: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)


@pytest.fixture
def gemini(standin: StandIn) -> genai.Client:
    return genai.Client(
        api_key="test", http_options=types.HttpOptions(base_url=standin.gemini_base_url)
    )


@pytest.fixture
def vertex(standin: StandIn) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project="demo-project",
        location="us-central1",
        credentials=static_google_credentials(),
        http_options=types.HttpOptions(base_url=standin.gemini_base_url),
    )


# -- OpenAI -------------------------------------------------------------------------


def test_chat_completion_is_deterministic_with_full_usage(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    second = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert "What is an API?" in (first.choices[0].message.content or "")
    assert first.id != second.id and first.id.startswith("chatcmpl-")
    assert first.choices[0].finish_reason == "stop"
    usage = first.usage
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == usage.prompt_tokens // 2
    reasoning = oai.chat.completions.create(model="o4-mini", messages=USER).usage
    assert reasoning is not None and reasoning.completion_tokens_details is not None
    assert reasoning.completion_tokens_details.reasoning_tokens == 8


def test_chat_max_tokens_and_n(oai: openai.OpenAI) -> None:
    cut = oai.chat.completions.create(model="gpt-4o-mini", messages=USER, max_tokens=3, n=2)
    assert [c.index for c in cut.choices] == [0, 1]
    assert all(c.finish_reason == "length" for c in cut.choices)
    assert len(cut.choices[0].message.content or "") <= 12


def test_chat_stream_with_usage_chunk(oai: openai.OpenAI) -> None:
    whole = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert len(chunks) > 10
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])


def test_chat_stream_without_usage(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_tool_call_then_text_after_tool_result(oai: openai.OpenAI) -> None:
    asked = [{"role": "user", "content": "Use get_weather for Paris"}]
    first = oai.chat.completions.create(model="gpt-4o-mini", messages=asked, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    args = json.loads(call.function.arguments)  # type: ignore[union-attr]
    assert set(args) == {"city", "days"} and args["days"] == 1
    history = [
        *asked,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    second = oai.chat.completions.create(
        model="gpt-4o-mini", messages=history, tools=[WEATHER_TOOL]
    )
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content
    none = oai.chat.completions.create(
        model="gpt-4o-mini", messages=asked, tools=[WEATHER_TOOL], tool_choice="none"
    )
    assert none.choices[0].message.tool_calls is None


def test_tool_call_streamed(oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="gpt-4o-mini", messages=USER, tools=[WEATHER_TOOL], stream=True
    )
    chunks = list(stream)
    pieces = [
        tc.function.arguments or ""
        for c in chunks
        for tc in (c.choices[0].delta.tool_calls or [])
        if tc.function is not None
    ]
    assert json.loads("".join(pieces))["days"] == 1
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_embeddings_float_base64_and_dimensions(oai: openai.OpenAI, standin: StandIn) -> None:
    standin.clear_requests()
    result = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    # The client asks for base64 by default and decodes it itself.
    assert standin.requests[-1].body["encoding_format"] == "base64"
    assert [len(d.embedding) for d in result.data] == [1536, 1536]
    floats = oai.embeddings.create(
        model="text-embedding-3-small", input="a", dimensions=8, encoding_format="float"
    )
    assert len(floats.data[0].embedding) == 8
    assert sum(v * v for v in floats.data[0].embedding) == pytest.approx(1.0, abs=1e-4)
    raw = httpx.post(
        f"{standin.openai_base_url}/embeddings",
        json={"model": "m", "input": "a", "dimensions": 8, "encoding_format": "base64"},
    ).json()
    decoded = struct.unpack("<8f", base64.b64decode(raw["data"][0]["embedding"]))
    assert list(decoded) == pytest.approx(floats.data[0].embedding, abs=1e-6)
    assert floats.usage.prompt_tokens == floats.usage.total_tokens == 1


@pytest.mark.parametrize(
    ("model", "error_type", "status"),
    [
        ("error-429", openai.RateLimitError, 429),
        ("error-500", openai.InternalServerError, 500),
        ("error-400", openai.BadRequestError, 400),
    ],
)
def test_openai_injected_errors(
    oai: openai.OpenAI, model: str, error_type: type[openai.APIStatusError], status: int
) -> None:
    with pytest.raises(error_type) as caught:
        oai.chat.completions.create(model=model, messages=USER)
    assert caught.value.status_code == status
    assert isinstance(caught.value.body, dict) and "Injected error" in caught.value.body["message"]
    with pytest.raises(error_type):
        oai.embeddings.create(model=model, input="x")


async def test_openai_async_chat_stream_and_embeddings(standin: StandIn) -> None:
    client = openai.AsyncOpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)
    chat = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text == chat.choices[0].message.content
    vectors = await client.embeddings.create(model="text-embedding-3-large", input="a")
    assert len(vectors.data[0].embedding) == 3072
    await client.close()


# -- Gemini Developer API -----------------------------------------------------------


def test_generate_content_and_stream(gemini: genai.Client) -> None:
    whole = gemini.models.generate_content(model="gemini-2.0-flash", contents="Tell me a joke")
    assert whole.text and "Tell me a joke" in whole.text
    usage = whole.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    assert usage.cached_content_token_count == usage.prompt_token_count // 2
    assert usage.thoughts_token_count is None
    assert whole.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    assert whole.response_id and whole.model_version == "gemini-2.0-flash"
    chunks = list(
        gemini.models.generate_content_stream(model="gemini-2.0-flash", contents="Tell me a joke")
    )
    assert "".join(c.text or "" for c in chunks) == whole.text
    # Usage is cumulative on each chunk, complete on the last.
    assert chunks[-1].usage_metadata == usage
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    thinking = gemini.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert thinking.usage_metadata.thoughts_token_count == 8  # type: ignore[union-attr]


def test_generate_content_config_and_function_call(gemini: genai.Client) -> None:
    cut = gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="hello",
        config=types.GenerateContentConfig(
            max_output_tokens=2, candidate_count=2, system_instruction="Be brief."
        ),
    )
    assert len(cut.candidates or []) == 2
    assert cut.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]

    def get_weather(city: str) -> str:
        """Weather for a city."""
        return f"sunny in {city}"

    # Automatic function calling: the call, the local function, then the text answer.
    answered = gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="What is the weather in Paris?",
        config=types.GenerateContentConfig(tools=[get_weather]),
    )
    assert answered.text
    history = answered.automatic_function_calling_history or []
    assert any(p.function_call for c in history for p in (c.parts or []))
    manual = gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="weather in Paris",
        config=types.GenerateContentConfig(
            tools=[get_weather],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )
    assert manual.function_calls and manual.function_calls[0].name == "get_weather"
    assert manual.function_calls[0].args == {"city": "weather in Paris"}


@pytest.mark.parametrize(
    ("model", "error_type", "status"),
    [
        ("error-429", genai_errors.ClientError, "RESOURCE_EXHAUSTED"),
        ("error-500", genai_errors.ServerError, "INTERNAL"),
        ("error-400", genai_errors.ClientError, "INVALID_ARGUMENT"),
    ],
)
def test_gemini_injected_errors(
    gemini: genai.Client, vertex: genai.Client, model: str, error_type: type, status: str
) -> None:
    for client in (gemini, vertex):
        with pytest.raises(error_type) as caught:
            client.models.generate_content(model=model, contents="x")
        assert caught.value.status == status
    with pytest.raises(error_type):
        vertex.models.generate_videos(model=model, source=types.GenerateVideosSource(prompt="x"))


def test_developer_api_video_operation_polls(gemini: genai.Client, standin: StandIn) -> None:
    # google-genai 3.x only starts Veo jobs on Vertex; older releases used this path.
    started = httpx.post(
        f"{standin.url}/v1beta/models/veo-2.0-generate-001:predictLongRunning",
        json={"instances": [{"prompt": "a cat"}], "parameters": {"sampleCount": 2}},
    ).json()
    operation = types.GenerateVideosOperation(name=started["name"])
    assert operation.name.startswith("models/veo-2.0-generate-001/operations/")  # type: ignore[union-attr]
    states = []
    while not operation.done:
        operation = gemini.operations.get(operation)
        states.append(bool(operation.done))
    assert states == [False, False, True]
    videos = operation.result.generated_videos  # type: ignore[union-attr]
    assert [v.video.mime_type for v in videos] == ["video/mp4"] * 2  # type: ignore[union-attr]
    download = httpx.get(videos[0].video.uri)  # type: ignore[union-attr,arg-type]
    assert download.status_code == 200 and download.content.startswith(b"\x00\x00\x00\x18ftyp")


async def test_gemini_async(standin: StandIn, gemini: genai.Client) -> None:
    whole = await gemini.aio.models.generate_content(model="gemini-2.0-flash", contents="hi")
    stream = await gemini.aio.models.generate_content_stream(
        model="gemini-2.0-flash", contents="hi"
    )
    assert "".join([c.text or "" async for c in stream]) == whole.text


# -- Vertex AI ----------------------------------------------------------------------


def test_vertex_paths_and_static_token(vertex: genai.Client, standin: StandIn) -> None:
    standin.clear_requests()
    result = vertex.models.generate_content(model="gemini-2.0-flash", contents="hi")
    chunks = list(vertex.models.generate_content_stream(model="gemini-2.0-flash", contents="hi"))
    assert "".join(c.text or "" for c in chunks) == result.text
    first, second = standin.requests
    prefix = "/v1beta1/projects/demo-project/locations/us-central1/publishers/google/models/"
    assert first.path == prefix + "gemini-2.0-flash:generateContent"
    assert second.path == prefix + "gemini-2.0-flash:streamGenerateContent"
    assert second.query == {"alt": ["sse"]}
    assert first.headers["authorization"] == "Bearer test"


def test_vertex_express_mode(standin: StandIn) -> None:
    client = genai.Client(
        vertexai=True,
        api_key="test",
        http_options=types.HttpOptions(base_url=standin.gemini_base_url),
    )
    standin.clear_requests()
    assert client.models.generate_content(model="gemini-2.0-flash", contents="hi").text
    assert standin.requests[0].path.startswith("/v1beta1/publishers/google/models/")


def test_vertex_video_to_gcs_with_polling(vertex: genai.Client) -> None:
    operation = vertex.models.generate_videos(
        model="veo-3.0-generate-001",
        source=types.GenerateVideosSource(prompt="a neon cat"),
        config=types.GenerateVideosConfig(output_gcs_uri="gs://bucket/out", number_of_videos=1),
    )
    assert not operation.done
    assert "/publishers/google/models/veo-3.0-generate-001/operations/" in (operation.name or "")
    polls = 0
    while not operation.done:
        operation = vertex.operations.get(operation)
        polls += 1
    assert polls == 3
    video = operation.result.generated_videos[0].video  # type: ignore[union-attr,index]
    assert video.uri.startswith("gs://bucket/out/") and video.mime_type == "video/mp4"  # type: ignore[union-attr]


def test_vertex_video_bytes_and_operation_error(vertex: genai.Client) -> None:
    operation = vertex.models.generate_videos(
        model="veo-2.0-generate-001", source=types.GenerateVideosSource(prompt="x")
    )
    while not operation.done:
        operation = vertex.operations.get(operation)
    video = operation.result.generated_videos[0].video  # type: ignore[union-attr,index]
    assert video.video_bytes and video.uri is None  # type: ignore[union-attr]
    failing = vertex.models.generate_videos(
        model="veo-operation-error", source=types.GenerateVideosSource(prompt="x")
    )
    while not failing.done:
        failing = vertex.operations.get(failing)
    assert failing.error and failing.error["code"] == 13


async def test_vertex_async_video(vertex: genai.Client) -> None:
    operation = await vertex.aio.models.generate_videos(
        model="veo-2.0-generate-001",
        source=types.GenerateVideosSource(prompt="x"),
        config=types.GenerateVideosConfig(output_gcs_uri="gs://b/o"),
    )
    while not operation.done:
        operation = await vertex.aio.operations.get(operation)
    assert operation.result.generated_videos[0].video.uri  # type: ignore[union-attr,index]


# -- the server itself ----------------------------------------------------------------


def test_unknown_route_and_bad_json_use_provider_error_shapes(standin: StandIn) -> None:
    missing = httpx.get(f"{standin.url}/v1beta/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    bad = httpx.post(
        f"{standin.openai_base_url}/chat/completions",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"


def test_start_stop_and_port() -> None:
    server = StandIn()
    with pytest.raises(RuntimeError):
        _ = server.port
    server.start()
    url = server.openai_base_url
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
    client = openai.OpenAI(base_url=url, api_key="test", max_retries=0)
    client.chat.completions.create(model="m", messages=USER)  # leaves a keep-alive connection
    server.stop()
    server.stop()  # harmless twice
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=USER)
