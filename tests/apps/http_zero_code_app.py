"""An app with no tracing code: it calls a server with requests, httpx (sync
and async) and urllib, and serves one FastAPI request in-process. Run under
``opentelemetry-instrument`` by tests/test_http_zero_code.py.

Environment: TARGET_URL (the server), TEST_TOKEN, TEST_BEARER, TEST_PASSWORD.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

import httpx
import requests
from fastapi import FastAPI
from starlette.testclient import TestClient

from aiobs_otel.http import instrument_asgi_app, request_header

URL = f"{os.environ['TARGET_URL']}/data?q=1&token={os.environ['TEST_TOKEN']}"
HEADERS = {"Authorization": os.environ["TEST_BEARER"]}
BODY = {"password": os.environ["TEST_PASSWORD"], "q": "hi"}


def outbound() -> None:
    requests.post(URL, json=BODY, headers=HEADERS, timeout=5).raise_for_status()
    httpx.post(URL, json=BODY, headers=HEADERS, timeout=5).raise_for_status()

    async def async_call() -> None:
        async with httpx.AsyncClient() as client:
            (await client.post(URL, json=BODY, headers=HEADERS, timeout=5)).raise_for_status()

    asyncio.run(async_call())
    request = urllib.request.Request(
        URL, data=json.dumps(BODY).encode(), headers={**HEADERS, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


def who(scope: Mapping[str, Any]) -> dict[str, str] | None:
    user = request_header(scope, "x-user-id")
    return {"user.id": user} if user else None


def inbound() -> None:
    app = FastAPI()  # instrumented by opentelemetry-instrument already

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"item": item_id}

    instrument_asgi_app(app, on_request=who)  # adds the request context only
    with TestClient(app) as client:
        reply = client.get(
            f"/items/7?token={os.environ['TEST_TOKEN']}",
            headers={**HEADERS, "x-user-id": "alice"},
        )
        reply.raise_for_status()


if __name__ == "__main__":
    outbound()
    inbound()
    print("done")
