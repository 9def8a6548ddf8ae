"""The offline demo: a provider stand-in that speaks OpenAI and Gemini on 127.0.0.1."""

from .standin import LoggedRequest, StandIn, static_google_credentials

__all__ = ["LoggedRequest", "StandIn", "static_google_credentials"]
