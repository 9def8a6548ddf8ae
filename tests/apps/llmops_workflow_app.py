"""llmops-observability's README, "Example: Complete Workflow", with only the
import changed. ``--as-written`` runs its ``converse`` call exactly as printed
there (``content`` as a string, which boto3 refuses: the error must pass
through unchanged); without it, ``content`` is the list of blocks the Bedrock
API takes, the one fix a new user has to make.
"""

import sys

import boto3

# was: from llmops_observability import (the same names)
from aiobs_otel.llmops import (  # noqa: F401  (the README imports all five)
    TraceManager,
    track_function,
    track_llm_agent,
    track_llm_call,
    track_llm_tool,
)

AS_WRITTEN = "--as-written" in sys.argv

# Initialize Bedrock client
bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")


@track_function()
def retrieve_context(query):
    # Simulate RAG retrieval
    return {"documents": ["Context doc 1", "Context doc 2"]}


@track_llm_call()
def generate_answer(prompt, context):
    text = f"Context: {context}\n\nQuestion: {prompt}"
    response = bedrock.converse(
        modelId="anthropic.claude-3-sonnet-20240229-v1:0",
        messages=[{
            "role": "user",
            "content": text if AS_WRITTEN else [{"text": text}],
        }]
    )  # fmt: skip
    return response


# Start trace
TraceManager.start_trace(
    name="rag_pipeline",
    user_id="user_123",
    metadata={"pipeline": "v1"}
)  # fmt: skip

# Execute workflow
context = retrieve_context("What is Python?")
try:
    answer = generate_answer("What is Python?", context)
finally:
    # End trace
    TraceManager.end_trace()
print(answer["output"]["message"]["content"][0]["text"])
