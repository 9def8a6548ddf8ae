"""One service of tests/test_http_services.py: a FastAPI app served by uvicorn
that answers with an LLM (the real openai client, against the stand-in) and,
when DOWNSTREAM_URL is set, asks the next service too, over httpx.

Environment: OTEL_SERVICE_NAME, SERVICE_PORT, OPENAI_BASE_URL, OPENAI_API_KEY,
EXPORT_PATH (the JSON export written by POST /flush), DOWNSTREAM_URL, and the
secrets it sends downstream (TEST_TOKEN, TEST_BEARER, TEST_PASSWORD).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx
import openai
import uvicorn
from fastapi import FastAPI, Request
from opentelemetry import trace

from aiobs_otel import observe, observer
from aiobs_otel.http import (
    get_injected_headers,
    instrument_asgi_app,
    instrument_http,
    request_header,
    track_external_service,
)
from aiobs_otel.instrumentors.openai.chat import OpenAIChatInstrumentor

SERVICE = os.environ["OTEL_SERVICE_NAME"]
DOWNSTREAM = os.environ.get("DOWNSTREAM_URL")

OpenAIChatInstrumentor().instrument()
instrument_http(body_preview_chars=500)
observer.observe(session_name=SERVICE)
llm = openai.AsyncOpenAI()
app = FastAPI()


@observe
async def answer(question: str) -> str:
    reply = await llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"{SERVICE}: {question}"}]
    )
    return reply.choices[0].message.content or ""


@track_external_service(service_name="service-b", transport="http")
async def ask_downstream(question: str) -> Any:
    headers = get_injected_headers({"Authorization": os.environ["TEST_BEARER"]})
    async with httpx.AsyncClient() as client:
        reply = await client.post(
            f"{DOWNSTREAM}/ask?lang=en&token={os.environ['TEST_TOKEN']}",
            json={"question": question, "password": os.environ["TEST_PASSWORD"]},
            headers=headers,
            timeout=10,
        )
        reply.raise_for_status()
        return reply.json()


@observe
async def handle(question: str) -> dict[str, Any]:
    result: dict[str, Any] = {"service": SERVICE, "answer": await answer(question)}
    if DOWNSTREAM:
        result["downstream"] = await ask_downstream(question)
    return result


@app.post("/ask")
async def ask(request: Request) -> dict[str, Any]:
    body = await request.json()
    return await handle(str(body["question"]))


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


@app.post("/flush")
async def flush() -> dict[str, Any]:
    path = observer.flush(path=os.environ["EXPORT_PATH"])
    flushed = trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
    return {"path": path, "otlp": flushed}


def who(scope: Mapping[str, Any]) -> dict[str, str] | None:
    user = request_header(scope, "x-user-id")
    return {"user.id": user} if user else None


instrument_asgi_app(app, on_request=who, excluded_urls="/health,/flush")

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["SERVICE_PORT"]), log_level="warning")
