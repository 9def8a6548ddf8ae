# ruff: noqa: I001, E402  (the README's code, kept in its order)
"""llmops README, "Distributed Tracing" → "End-to-End Example": the parent
FastAPI service and the downstream microservice, with the import changed to
ours. Other changes: the downstream's address (``http://user_service:8002``)
is ``USER_SERVICE_URL``; the two services are two apps of one module."""

import os

USER_SERVICE = os.environ.get("USER_SERVICE_URL", "http://user_service:8002")

# --- the README's code (imports changed) -----------------------------------------
from fastapi import FastAPI
import httpx

from aiobs_otel.http import (
    get_injected_headers,
    resume_external_service,
    track_external_service,
)

app = FastAPI()  # FastAPI (parent request)


# POST /generate
@app.post("/generate")
@track_external_service(service_name="user_service")
async def generate(prompt: str):
    headers = get_injected_headers()
    resp = httpx.get(f"{USER_SERVICE}/profile/123", headers=headers)
    return {"result": resp.json()}


user_service = FastAPI()  # Downstream Microservice (child)


# GET /profile/{user_id}
@user_service.get("/profile/{user_id}")
@resume_external_service()
async def get_profile(user_id: str):
    return {"name": "Alice", "tier": "premium"}
