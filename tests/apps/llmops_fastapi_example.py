# ruff: noqa: I001, E402  (the README's code, kept in its order)
"""llmops README, "FastAPI integration pattern (recommended)", with the import
changed to ours. The one other change: the example's upstream
(``https://api.example.com``) is the test's server, ``EXAMPLE_API``."""

import os

API = os.environ.get("EXAMPLE_API", "https://api.example.com")

# --- the README's code (imports changed) -----------------------------------------
from fastapi import FastAPI
import httpx

from aiobs_otel.llmops import (
    LLMOpsASGIMiddleware,
    TraceManager,
    enable_outbound_http_instrumentation,
)

app = FastAPI()
app.add_middleware(LLMOpsASGIMiddleware)

enable_outbound_http_instrumentation(
    requests_lib=True,
    httpx_lib=True,
    urllib_lib=True,
    httpx_sync=True,
    httpx_async=True,
)


@app.get("/proxy")
async def proxy():
    TraceManager.start_trace(name="proxy_call")
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{API}/data?token=secret", timeout=10.0)
    TraceManager.finalize_and_send(
        trace_name="proxy_call",
        trace_input={},
        trace_output={"status_code": resp.status_code},
    )
    return {"status_code": resp.status_code}
