"""An agent loop on the OpenAI Responses API: the model asks for a tool, the
tool runs, its output goes back as a ``function_call_output``, the model answers.

    OPENAI_API_KEY=sk-... python examples/responses_agent.py ["Your question"]
    AIOBS_EXAMPLES_STANDIN=1 python examples/responses_agent.py    # offline

The export has the agent (kind ``agent``), the tool (kind ``tool``) and the two
``responses.create`` calls, all in one trace: the first call's response holds
the tool call, the second call's request the tool's output. In an OTLP backend
such as Phoenix the same spans show as AGENT, TOOL and LLM.
"""

import json
import sys

from _clients import openai_client

from aiobs_otel import observe, observer

client = openai_client()

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "e.g. Paris"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    }
]


@observe(kind="tool")
def get_weather(city: str, tool_call_id: str) -> str:
    # tool_call_id (the model's call id) becomes the tool span's gen_ai.tool.call.id.
    return f"{city}: 18°C, light rain"  # a real tool would call a weather service


@observe(kind="agent")
def weather_agent(question: str, max_turns: int = 3) -> str:
    items: list = [{"role": "user", "content": question}]
    for _ in range(max_turns):
        response = client.responses.create(
            model="gpt-4.1-mini",
            instructions="Answer in one sentence. Use get_weather for weather questions.",
            input=items,
            tools=TOOLS,
        )
        calls = [item for item in response.output if item.type == "function_call"]
        if not calls:
            return response.output_text
        items += response.output  # the model's turn, tool calls included, goes back as input
        for call in calls:
            result = get_weather(**json.loads(call.arguments), tool_call_id=call.call_id)
            items.append(
                {"type": "function_call_output", "call_id": call.call_id, "output": result}
            )
    raise RuntimeError(f"no answer after {max_turns} turns")


question = sys.argv[1] if len(sys.argv) > 1 else "What is the weather in Paris?"
observer.observe(session_name="responses-agent")
print(weather_agent(question))
observer.end()
path = observer.flush()
print(f"Export written to {path}")
