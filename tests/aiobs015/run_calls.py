"""The same provider calls under aiobs 0.1.5 or under aiobs-otel, one export per case.

    python run_calls.py aiobs OUTDIR        # in .venv-aiobs015 (aiobs 0.1.5)
    python run_calls.py aiobs_otel OUTDIR   # in .venv (this package)

Environment: ``STANDIN_URL`` (the provider stand-in both runs talk to),
``AIOBS_API_KEY``, ``SHEPHERD_URL`` (a loopback stub of aiobs's usage
service: aiobs 0.1.5 validates the key on ``observe()`` and reads the URL
from a module constant, so it is set here; aiobs-otel reads
``AIOBS_SHEPHERD_URL``) and ``AIOBS_FLUSH_SERVER_URL``.

Each case runs in its own session and is flushed to ``OUTDIR/<case>.json``;
a flush that raises leaves ``OUTDIR/<case>.flush-error`` with the error
instead. Only the observer's module differs between the two runs: the calls,
the clients and their arguments are this file's, byte for byte.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

SDK = sys.argv[1]
OUT = Path(sys.argv[2])
STANDIN = os.environ["STANDIN_URL"]
KEY = "sk-standin-compat-0123456789"  # long enough to count as a secret
IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(40))

if SDK == "aiobs":
    import aiobs.collector

    aiobs.collector.SHEPHERD_SERVER_URL = os.environ["SHEPHERD_URL"]
observer: Any = importlib.import_module(SDK).observer

no_retry = types.HttpRetryOptions(attempts=1)
chat = openai.OpenAI(base_url=f"{STANDIN}/v1", api_key=KEY, max_retries=0)
chat_async = openai.AsyncOpenAI(base_url=f"{STANDIN}/v1", api_key=KEY, max_retries=0)
gemini = genai.Client(
    api_key=KEY, http_options=types.HttpOptions(base_url=STANDIN, retry_options=no_retry)
)
# google-genai 3.x serves Veo on Vertex AI only; a fixed token stands in for Google auth.
vertex = genai.Client(
    vertexai=True,
    project="compat",
    location="us-central1",
    credentials=Credentials(token="standin-token"),  # type: ignore[no-untyped-call]
    http_options=types.HttpOptions(base_url=STANDIN, retry_options=no_retry),
)

CONVERSATION = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is an API?"},
    {"role": "assistant", "content": "An interface."},
    {"role": "user", "content": "And a REST API?"},
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def chat_sync() -> None:
    chat.chat.completions.create(
        model="gpt-4o-mini", messages=CONVERSATION, temperature=0.2, max_tokens=50, top_p=0.9
    )


def chat_tool_loop() -> None:
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = chat.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    # "content": None spelled out: aiobs 0.1.5 raises into the call without it
    messages.append({
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": call.id, "type": "function",
             "function": {"name": call.function.name, "arguments": call.function.arguments}},
        ],
    })  # fmt: skip
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'})
    chat.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)


def chat_stream() -> None:
    stream = chat.chat.completions.create(
        model="gpt-4o-mini",
        messages=CONVERSATION[:2],
        stream=True,
        stream_options={"include_usage": True},
    )
    for _ in stream:
        pass


def chat_error() -> None:
    chat.chat.completions.create(model="gpt-4o-error-429", messages=CONVERSATION[:2])


def chat_async_call() -> None:
    async def run() -> None:
        await chat_async.chat.completions.create(model="gpt-4o-mini", messages=CONVERSATION[:2])

    asyncio.run(run())


def embeddings_one() -> None:
    chat.embeddings.create(model="text-embedding-3-small", input="Hello world")


def embeddings_batch() -> None:
    chat.embeddings.create(
        model="text-embedding-3-small", input=["one", "two", "three", "four"], dimensions=4
    )


def embeddings_error() -> None:
    chat.embeddings.create(model="embed-error-400", input="Hello")


def content_text() -> None:
    gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="Explain quantum computing",
        config=types.GenerateContentConfig(
            system_instruction="Answer in one sentence.", temperature=0.3, max_output_tokens=40
        ),
    )


def content_turns() -> None:
    turns = [
        types.Content(role="user", parts=[types.Part(text="Hi")]),
        types.Content(role="model", parts=[types.Part(text="Hello!")]),
        types.Content(role="user", parts=[types.Part(text="What is Veo?")]),
        types.Content(role="model", parts=[types.Part(text="A video model.")]),
        types.Content(role="user", parts=[types.Part(text="Thanks, and Gemini?")]),
    ]
    gemini.models.generate_content(model="gemini-2.0-flash", contents=turns)


def content_function_reply() -> None:
    call = types.FunctionCall(name="get_weather", args={"city": "Paris"})
    reply = types.FunctionResponse(name="get_weather", response={"temp": 21})
    gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents=[
            types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
            types.Content(role="model", parts=[types.Part(function_call=call)]),
            types.Content(role="user", parts=[types.Part(function_response=reply)]),
        ],
    )


def content_dicts() -> None:
    gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents=[{"role": "user", "parts": [{"text": "Name a colour"}]}],
        config={"temperature": 0.1, "response_mime_type": "text/plain"},
    )


def content_secret_header() -> None:
    headers = {"x-goog-api-key": KEY}  # a per-request key, in the config
    gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="Hello",
        config=types.GenerateContentConfig(http_options=types.HttpOptions(headers=headers)),
    )


def content_thinking() -> None:
    gemini.models.generate_content(model="gemini-2.5-flash", contents="Think, then answer: 2+2?")


LONG = "word " * 1500  # 7,500 characters


def chat_long() -> None:
    chat.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": LONG}])


def content_long() -> None:
    gemini.models.generate_content(model="gemini-2.0-flash", contents=LONG)


def content_image() -> None:
    gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents=[types.Part.from_bytes(data=IMAGE, mime_type="image/png"), "Describe it"],
    )


def content_stream() -> None:
    for _ in gemini.models.generate_content_stream(model="gemini-2.0-flash", contents="Stream it"):
        pass


def content_error() -> None:
    gemini.models.generate_content(model="gemini-error-429", contents="Hello")


def content_async_call() -> None:
    async def run() -> None:
        await gemini.aio.models.generate_content(model="gemini-2.0-flash", contents="Async")

    asyncio.run(run())


def _poll(operation: Any) -> Any:
    while not operation.done:
        time.sleep(0.01)
        operation = vertex.operations.get(operation)
    return operation


VEO_CONFIG = types.GenerateVideosConfig(
    aspect_ratio="16:9", number_of_videos=1, output_gcs_uri="gs://compat/videos"
)


def videos_returned() -> None:
    vertex.models.generate_videos(
        model="veo-3.1-generate-preview", prompt="Waves at sunset", config=VEO_CONFIG
    )


def videos_polled() -> None:
    _poll(
        vertex.models.generate_videos(
            model="veo-3.1-generate-preview", prompt="Waves at sunset", config=VEO_CONFIG
        )
    )


def videos_source() -> None:
    vertex.models.generate_videos(
        model="veo-3.1-generate-preview",
        source=types.GenerateVideosSource(prompt="A neon hologram of a cat"),
    )


def videos_gcs_image() -> None:
    vertex.models.generate_videos(
        model="veo-3.1-generate-preview",
        prompt="Animate this landscape",
        image=types.Image(gcs_uri="gs://compat/in.png", mime_type="image/png"),
        config={"aspect_ratio": "16:9", "resolution": "720p"},
    )


def videos_image_bytes() -> None:
    vertex.models.generate_videos(
        model="veo-3.1-generate-preview",
        prompt="Animate this",
        image=types.Image(image_bytes=IMAGE, mime_type="image/png"),
    )


def videos_error() -> None:
    vertex.models.generate_videos(model="veo-error-429", prompt="Waves")


def videos_async_call() -> None:
    async def run() -> None:
        await vertex.aio.models.generate_videos(model="veo-3.1-generate-preview", prompt="Async")

    asyncio.run(run())


CASES: list[Callable[[], None]] = [
    chat_sync, chat_tool_loop, chat_stream, chat_error, chat_async_call, chat_long,
    embeddings_one, embeddings_batch, embeddings_error,
    content_text, content_turns, content_function_reply, content_dicts, content_secret_header,
    content_thinking, content_long, content_image, content_stream, content_error,
    content_async_call,
    videos_returned, videos_polled, videos_source, videos_gcs_image, videos_image_bytes,
    videos_error, videos_async_call,
]  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[3:])
    for case in CASES:
        name = case.__name__
        if wanted and name not in wanted:
            continue
        observer.observe(session_name=name)
        try:
            case()
        except (openai.APIError, genai.errors.APIError) as exc:
            print(f"{name}: {type(exc).__name__} (expected)", file=sys.stderr)
        observer.end()
        try:
            observer.flush(path=str(OUT / f"{name}.json"))
        except Exception as exc:  # aiobs 0.1.5 cannot write some values (bytes)
            (OUT / f"{name}.json").unlink(missing_ok=True)  # written in part
            (OUT / f"{name}.flush-error").write_text(f"{type(exc).__name__}: {exc}")
            observer.reset()  # aiobs keeps the unwritable event otherwise
            observer.observe(session_name="after-reset")  # and re-installs its patches
            observer.end()
            observer.flush(path=os.devnull)
    print(json.dumps({"sdk": SDK, "cases": len(CASES)}))


if __name__ == "__main__":
    main()
