"""llmops-observability's README, "Agentic Integration Pattern (Recommended)",
with only the import changed, and the parts it leaves as ``...`` written as a
new user would (the retrieval, the tool_use loop, the trace from its quick
start). ``boto3`` reads the endpoint from ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``.
"""

from __future__ import annotations

from typing import Any

import boto3

# from llmops_observability import (
from aiobs_otel.llmops import (
    TraceManager,
    track_function,
    track_llm_agent,
    track_llm_call,
    track_llm_tool,
)

bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")
DOCUMENTS = {"python": ["Python is a programming language.", "It was created by Guido."]}
TOOLS = [
    {
        "toolSpec": {
            "name": "retrieve_context",
            "description": "Find documents about a topic.",
            "inputSchema": {
                "json": {"type": "object", "properties": {"query": {"type": "string"}}}
            },
        }
    }
]


@track_function()
def retrieve(query: str) -> list[str]:
    return DOCUMENTS.get(query.lower(), [])


@track_llm_tool(name="retrieve_context")
def retrieve_context_tool(query: str) -> list[str]:
    return retrieve(query)


@track_llm_call(name="bedrock_converse")
def call_llm(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    return bedrock.converse(
        modelId="anthropic.claude-3-sonnet-20240229-v1:0",
        messages=messages,
        toolConfig={"tools": tools},
    )


@track_llm_agent(name="agent_loop")
def agent_loop(user_query: str) -> str:
    # calls call_llm(...), handles tool_use, invokes retrieve_context_tool(...)
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": user_query}]}]
    for _ in range(5):
        response = call_llm(messages, TOOLS)
        message = response["output"]["message"]
        messages.append(message)
        if response["stopReason"] != "tool_use":
            return "".join(part.get("text", "") for part in message["content"])
        results = []
        for part in message["content"]:
            if "toolUse" in part:
                use = part["toolUse"]
                documents = retrieve_context_tool(**use["input"])
                results.append(
                    {
                        "toolResult": {
                            "toolUseId": use["toolUseId"],
                            "content": [{"json": {"documents": documents}}],
                        }
                    }
                )
        messages.append({"role": "user", "content": results})
    return "no answer"


if __name__ == "__main__":
    TraceManager.start_trace(
        name="agentic_rag",
        user_id="user_123",
        session_id="session_456",
        metadata={"version": "1.0.0"},
        tags=["agentic", "rag"],
    )
    answer = agent_loop("What is Python?")
    TraceManager.finalize_and_send(
        trace_name="agentic_rag",
        trace_input={"user_msg": "What is Python?"},
        trace_output={"bot_response": answer},
    )
    print(answer)
