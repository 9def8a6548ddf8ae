"""Where Langfuse is and how to reach it: ``configure()``'s arguments, else the
``LANGFUSE_*`` variables llmops-observability documents.

The secret key is held here and in the exporter's HTTP session only: it is left
out of ``repr``, and no message (error, log) ever quotes it or the header built
from it.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import env

PUBLIC_KEY_ENV = "LANGFUSE_PUBLIC_KEY"
SECRET_KEY_ENV = "LANGFUSE_SECRET_KEY"
BASE_URL_ENV = "LANGFUSE_BASE_URL"
HOST_ENV = "LANGFUSE_HOST"  # the Langfuse SDKs' older name for the base URL
VERIFY_SSL_ENV = "LANGFUSE_VERIFY_SSL"
DEBUG_ENV = "LANGFUSE_DEBUG"
TIMEOUT_ENV = "LANGFUSE_TIMEOUT"

OTEL_PATH = "/api/public/otel"
TRACES_PATH = OTEL_PATH + "/v1/traces"
DEFAULT_TIMEOUT = 5.0  # seconds per export request, retries included
# Langfuse's current (observation-centric) ingestion path for OTLP exporters.
INGESTION_VERSION_HEADER = ("x-langfuse-ingestion-version", "4")


@dataclass(frozen=True)
class LangfuseSettings:
    """One Langfuse project to send traces to (``LangfuseSettings.resolve(...)``)."""

    public_key: str
    secret_key: str = field(repr=False)
    base_url: str
    verify_ssl: bool = False
    timeout: float = DEFAULT_TIMEOUT
    debug: bool = False

    @property
    def endpoint(self) -> str:
        """``{base_url}/api/public/otel/v1/traces`` (a base URL that already ends in
        ``/api/public/otel``, as in an OTLP endpoint, is not extended twice)."""
        base = self.base_url.rstrip("/")
        if base.endswith(TRACES_PATH):
            return base
        if base.endswith(OTEL_PATH):
            return base + "/v1/traces"
        return base + TRACES_PATH

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    @property
    def https(self) -> bool:
        return urlsplit(self.base_url).scheme == "https"

    def headers(self) -> dict[str, str]:
        """What every export request carries: Basic auth (``public_key:secret_key``,
        base64) and the ingestion version."""
        token = base64.b64encode(f"{self.public_key}:{self.secret_key}".encode()).decode()
        name, value = INGESTION_VERSION_HEADER
        return {"Authorization": f"Basic {token}", name: value}

    def same_target(self, other: LangfuseSettings) -> bool:
        """Whether ``other`` sends to the same project the same way (then nothing changes)."""
        return (self.endpoint, self.public_key, self.secret_key, self.verify_ssl,
                self.timeout) == (other.endpoint, other.public_key, other.secret_key,
                                  other.verify_ssl, other.timeout)  # fmt: skip

    @classmethod
    def resolve(
        cls,
        public_key: str | None = None,
        secret_key: str | None = None,
        base_url: str | None = None,
        verify_ssl: bool | str | None = None,
        *,
        timeout: float | None = None,
        debug: bool | str | None = None,
    ) -> LangfuseSettings:
        """The arguments, each falling back to its variable. ``ValueError`` naming
        what is missing or malformed (never quoting a key)."""
        environ = os.environ
        public = _text(public_key) or _text(environ.get(PUBLIC_KEY_ENV))
        secret = _text(secret_key) or _text(environ.get(SECRET_KEY_ENV))
        url = _text(base_url) or _text(environ.get(BASE_URL_ENV)) or _text(environ.get(HOST_ENV))
        missing = [
            f"{what} (or {variable})"
            for what, variable, value in (
                ("public_key", PUBLIC_KEY_ENV, public),
                ("secret_key", SECRET_KEY_ENV, secret),
                ("base_url", BASE_URL_ENV, url),
            )
            if not value
        ]
        if missing:
            raise ValueError("Langfuse not configured: " + ", ".join(missing) + " not given")
        assert public and secret and url
        _check_url(url)
        return cls(
            public_key=public,
            secret_key=secret,
            base_url=url,
            verify_ssl=_flag(verify_ssl, "verify_ssl", VERIFY_SSL_ENV),
            timeout=_timeout(timeout),
            debug=_flag(debug, "debug", DEBUG_ENV),
        )


def missing_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """Which of the three required variables are unset (all three: Langfuse is not wanted)."""
    environ = os.environ if environ is None else environ
    found = {
        PUBLIC_KEY_ENV: _text(environ.get(PUBLIC_KEY_ENV)),
        SECRET_KEY_ENV: _text(environ.get(SECRET_KEY_ENV)),
        BASE_URL_ENV: _text(environ.get(BASE_URL_ENV)) or _text(environ.get(HOST_ENV)),
    }
    return [name for name, value in found.items() if not value]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"Langfuse settings are strings, got a {type(value).__name__}")
    return value.strip() or None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "Langfuse base_url (or LANGFUSE_BASE_URL) must be an http:// or https:// URL "
            "with a host, such as https://cloud.langfuse.com"
        )
    if parts.username or parts.password:
        raise ValueError(
            "Langfuse base_url (or LANGFUSE_BASE_URL) must not carry credentials: "
            "give public_key and secret_key instead"
        )


def _flag(value: object, what: str, variable: str) -> bool:
    """A bool argument, or its variable (default false). A string argument (say,
    ``os.getenv("LANGFUSE_VERIFY_SSL")``) is read as the variable would be."""
    if value is None:
        return env.flag(variable, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ValueError(f"Langfuse {what} must be true or false, got {value!r}")


def _timeout(value: float | None) -> float:
    if value is None:
        return env.number(TIMEOUT_ENV, DEFAULT_TIMEOUT, minimum=0.1, maximum=600)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise ValueError(f"Langfuse timeout must be a number of seconds in (0, 600], got {value!r}")
    return float(value)
