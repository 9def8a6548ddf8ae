"""The llmops setup a new user tries: AWS_SQS_URL (and the endpoint variable) in
the environment, ``observe()`` in code, a real OpenAI client call. Here the client
talks to aiobs-otel's provider stand-in on 127.0.0.1.

argv[1]: where the JSON export is written.
"""

from __future__ import annotations

import sys

from openai import OpenAI

from aiobs_otel import observe, observer
from aiobs_otel.demo import StandIn


@observe
def answer(question: str) -> str:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


with StandIn() as standin:
    client = OpenAI(base_url=standin.openai_base_url, api_key="sk-test-not-a-real-key")
    labels = {"environment": "uat", "project_id": "new_test"}
    observer.observe(session_name="sqs-demo", labels=labels)  # switches the SDK's tracing on
    print("answer:", answer("What is an API?"))
    observer.end()
    print("export:", observer.flush(path=sys.argv[1]))
