"""Where the examples' clients point: the real APIs, or the offline stand-in.

By default the clients are built exactly as in your own code (``OpenAI()``,
``genai.Client()``) and read their keys from the environment:
``OPENAI_API_KEY``; ``GOOGLE_API_KEY`` (or ``GEMINI_API_KEY``); for Veo,
Vertex AI: ``GOOGLE_CLOUD_PROJECT``, ``GOOGLE_CLOUD_LOCATION`` and
Application Default Credentials (``gcloud auth application-default login``).

``AIOBS_EXAMPLES_STANDIN=1`` instead starts aiobs-otel's provider stand-in
(``aiobs_otel.demo.StandIn``) in this process, on 127.0.0.1, and points every
client at it: no key, no network. This is not observability code, only
client construction, so every example still reads like the usage guide.
"""

from __future__ import annotations

import atexit
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google import genai
    from openai import OpenAI

STANDIN = os.environ.get("AIOBS_EXAMPLES_STANDIN", "").lower() not in ("", "0", "false", "no")
# Seconds between polls of a Veo operation: a real job takes minutes.
POLL_SECONDS = 0.05 if STANDIN else 10.0

_standin: Any = None


def _server() -> Any:
    global _standin
    if _standin is None:
        from aiobs_otel.demo import StandIn

        _standin = StandIn().start()
        atexit.register(_standin.stop)
    return _standin


def openai_client() -> OpenAI:
    from openai import OpenAI

    if not STANDIN:
        return OpenAI()
    return OpenAI(base_url=_server().openai_base_url, api_key="standin", max_retries=0)


def gemini_client() -> genai.Client:
    """The Gemini Developer API (or Vertex AI, if ``GOOGLE_GENAI_USE_VERTEXAI`` is set)."""
    from google import genai
    from google.genai import types

    if not STANDIN:
        return genai.Client()
    options = types.HttpOptions(base_url=_server().gemini_base_url)
    return genai.Client(api_key="standin", http_options=options)


def vertex_client() -> genai.Client:
    """Vertex AI: google-genai 3.x serves ``generate_videos`` (Veo) only there."""
    from google import genai
    from google.genai import types

    if not STANDIN:
        return genai.Client(vertexai=True)
    from aiobs_otel.demo import static_google_credentials

    return genai.Client(
        vertexai=True,
        project="aiobs-examples",
        location="us-central1",
        # A fixed token instead of Application Default Credentials.
        credentials=static_google_credentials(),
        http_options=types.HttpOptions(base_url=_server().gemini_base_url),
    )
