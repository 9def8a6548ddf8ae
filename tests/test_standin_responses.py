"""The stand-in's OpenAI Responses API (``POST /v1/responses``), driven by the
real ``openai`` client: plain and streamed answers, the tool-call loop,
reasoning items, truncation and errors in the API's shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from aiobs_otel.demo import StandIn

try:  # the Responses API exists from openai 1.66.0
    import openai.resources.responses
except ImportError:
    pytest.skip(f"openai {openai.__version__} has no Responses API", allow_module_level=True)

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    },
}
TIME = {"type": "function", "name": "get_time", "parameters": {"type": "object"}}


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def oai(standin: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)


def test_text_answer_with_usage_and_instructions(oai: openai.OpenAI) -> None:
    first = oai.responses.create(model="gpt-4.1-mini", input="What is an API?")
    again = oai.responses.create(model="gpt-4.1-mini", input="What is an API?")
    assert first.output_text == again.output_text and "What is an API?" in first.output_text
    assert first.id != again.id and first.id.startswith("resp")
    assert (first.status, first.object, first.model) == ("completed", "response", "gpt-4.1-mini")
    (message,) = first.output
    assert message.type == "message" and message.role == "assistant"
    usage = first.usage
    assert usage is not None and usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == usage.input_tokens // 2
    assert usage.output_tokens_details.reasoning_tokens == 0
    briefed = oai.responses.create(
        model="gpt-4.1-mini", input="What is an API?", instructions="Answer like a pirate."
    )
    assert briefed.instructions == "Answer like a pirate."
    assert briefed.usage is not None and briefed.usage.input_tokens > usage.input_tokens


def test_message_items_as_input(oai: openai.OpenAI) -> None:
    result = oai.responses.create(model="gpt-4.1-mini", input=[
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "input_text", "text": "Define latency"}]},
    ])  # fmt: skip
    assert "Define latency" in result.output_text


def test_reasoning_models_put_a_reasoning_item_first(oai: openai.OpenAI) -> None:
    plain = oai.responses.create(model="o4-mini", input="Why is the sky blue?")
    assert [item.type for item in plain.output] == ["reasoning", "message"]
    assert plain.output[0].summary == []  # type: ignore[union-attr]
    assert plain.usage is not None and plain.usage.output_tokens_details.reasoning_tokens == 8
    summarised = oai.responses.create(
        model="o4-mini", input="Why is the sky blue?", reasoning={"summary": "auto"}
    )
    (summary,) = summarised.output[0].summary  # type: ignore[union-attr]
    assert "Why is the sky blue?" in summary.text


def test_tool_call_then_answer_from_the_tool_output(oai: openai.OpenAI) -> None:
    items: list[Any] = [{"role": "user", "content": "Use get_weather for Paris"}]
    first = oai.responses.create(model="gpt-4.1-mini", input=items, tools=[TIME, WEATHER])
    (call,) = first.output
    assert call.type == "function_call" and call.name == "get_weather"  # the one mentioned
    assert call.call_id.startswith("call") and call.status == "completed"
    assert set(json.loads(call.arguments)) == {"city", "days"}
    assert first.output_text == "" and first.status == "completed"
    assert first.tools[1].name == "get_weather"  # type: ignore[union-attr]
    items += first.output  # the SDK's own items go back as input, as users write it
    items.append({"type": "function_call_output", "call_id": call.call_id, "output": "22°C"})
    second = oai.responses.create(model="gpt-4.1-mini", input=items, tools=[TIME, WEATHER])
    assert [item.type for item in second.output] == ["message"]
    assert "Use get_weather for Paris" in second.output_text
    assert second.output_text.endswith("The tool said: 22°C.")


def test_tool_choice(oai: openai.OpenAI) -> None:
    asked = "Use get_weather for Paris"
    off = oai.responses.create(model="m", input=asked, tools=[WEATHER], tool_choice="none")
    assert [item.type for item in off.output] == ["message"]
    named = oai.responses.create(
        model="m", input=asked, tools=[WEATHER, TIME],
        tool_choice={"type": "function", "name": "get_time"},
    )  # fmt: skip
    assert [getattr(item, "name", None) for item in named.output] == ["get_time"]
    first = oai.responses.create(model="m", input="Hello", tools=[TIME, WEATHER])
    assert [getattr(item, "name", None) for item in first.output] == ["get_time"]


def test_stream_events_as_the_api_sends_them(oai: openai.OpenAI, standin: StandIn) -> None:
    whole = oai.responses.create(model="gpt-4.1-mini", input="What is an API?")
    events = list(oai.responses.create(model="gpt-4.1-mini", input="What is an API?", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:4] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added",
    ]  # fmt: skip
    assert kinds[-4:] == [
        "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed",
    ]  # fmt: skip
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 5 and "".join(deltas) == whole.output_text
    created, completed = events[0].response, events[-1].response  # type: ignore[union-attr]
    assert created.status == "in_progress" and created.output == [] and created.usage is None
    assert completed.output_text == whole.output_text and completed.usage == whole.usage
    # on the wire: a named event before each data line, no [DONE]
    raw = httpx.post(
        f"{standin.openai_base_url}/responses",
        json={"model": "m", "input": "hi", "stream": True},
    ).text
    frames = [f for f in raw.split("\n\n") if f]
    assert all(f.startswith("event: response.") and "\ndata: {" in f for f in frames)
    assert "[DONE]" not in raw


def test_streamed_tool_call_and_the_stream_helper(oai: openai.OpenAI) -> None:
    asked = "Use get_weather for Paris"
    events = list(oai.responses.create(model="m", input=asked, tools=[WEATHER], stream=True))
    pieces = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert "".join(pieces) == done.arguments and set(json.loads(done.arguments)) == {"city", "days"}
    with oai.responses.stream(model="m", input=asked, tools=[WEATHER]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    (call,) = final.output
    assert call.type == "function_call" and json.loads(call.arguments) == json.loads(done.arguments)


def test_max_output_tokens_makes_it_incomplete(oai: openai.OpenAI) -> None:
    cut = oai.responses.create(model="gpt-4.1-mini", input="What is an API?", max_output_tokens=3)
    assert cut.status == "incomplete" and cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"
    assert len(cut.output_text) <= 12 and cut.max_output_tokens == 3
    events = list(oai.responses.create(model="m", input="hi there", max_output_tokens=1,
                                       stream=True))  # fmt: skip
    assert events[-1].type == "response.incomplete"


async def test_async_client(standin: StandIn) -> None:
    client = openai.AsyncOpenAI(base_url=standin.openai_base_url, api_key="t", max_retries=0)
    result = await client.responses.create(model="gpt-4.1-mini", input="Hello")
    assert "Hello" in result.output_text
    stream = await client.responses.create(model="gpt-4.1-mini", input="Hello", stream=True)
    kinds = [event.type async for event in stream]
    assert kinds[-1] == "response.completed"
    await client.close()


@pytest.mark.parametrize(
    ("model", "error_type", "status"),
    [
        ("error-429", openai.RateLimitError, 429),
        ("gpt-4.1-error-500", openai.InternalServerError, 500),
    ],
)
def test_injected_errors(
    oai: openai.OpenAI, model: str, error_type: type[openai.APIStatusError], status: int
) -> None:
    with pytest.raises(error_type) as caught:
        oai.responses.create(model=model, input="hi")
    assert caught.value.status_code == status


def test_bad_requests_in_the_api_error_shape(oai: openai.OpenAI, standin: StandIn) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.responses.create(model="gpt-4.1-mini", input=[])
    assert caught.value.body == {
        "message": "Missing required parameter: 'input'.", "type": "invalid_request_error",
        "param": "input", "code": "missing_required_parameter",
    }  # fmt: skip
    bad = httpx.post(
        f"{standin.openai_base_url}/responses",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    missing = httpx.get(f"{standin.openai_base_url}/responses/resp_1")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "invalid_request_error"
