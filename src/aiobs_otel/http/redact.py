"""Redaction rules for HTTP telemetry: which names are secrets, and how URLs,
headers, bodies and free text lose their values.

One rule for query parameters, header names, form fields and JSON body keys,
the same as for every other recorded name (``aiobs_otel.redaction.is_secret_key``:
``token``, ``key``, ``api_key``, ``x-auth-token``, ``AWSAccessKeyId``...; not
``author``, ``max_tokens``, ``sort_key``).

A sensitive value becomes ``[REDACTED]``. User info in a URL becomes
``REDACTED:REDACTED@``, the form the OpenTelemetry HTTP conventions use and the
contrib instrumentations already write.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from ..redaction import is_secret_key
from ..redaction import redact_text as redact_text  # free text: one implementation

REDACTED = "[REDACTED]"
USERINFO_REDACTED = "REDACTED:REDACTED"


def is_sensitive_name(name: str) -> bool:
    """Whether a query parameter, header, form field or JSON key names a secret:
    the rule every recorded name follows (``aiobs_otel.redaction.is_secret_key``)."""
    return is_secret_key(name.strip())


# Header patterns for the contrib instrumentations' own sanitizer (regexes,
# matched case-insensitively with re.search against the header name): the
# ASGI server headers are sanitized there, before any hook could see them.
SENSITIVE_HEADER_PATTERNS: tuple[str, ...] = (
    r"^authorization$",
    r"^proxy-authorization$",
    r"^cookie$",
    r"^set-cookie$",
    r"^auth",
    r"[-_]auth",
    r"token",
    r"passw",
    r"secret",
    r"signature",
    r"credential",
    r"api[-_]?key",
    r"access[-_]?key",
    r"private[-_]?key",
    r"[-_]key$",
    r"^key$",
)


# --- query strings and URLs ----------------------------------------------------------
def redact_query(query: str) -> str:
    """``a=1&token=abc`` -> ``a=1&token=[REDACTED]``; every other byte is kept
    as it was (no re-encoding), so the result still reads like the request."""
    if not query or "=" not in query:
        return query
    changed = False
    pieces = re.split(r"([&;])", query)
    for index in range(0, len(pieces), 2):
        name, sep, value = pieces[index].partition("=")
        if sep and value != REDACTED and is_sensitive_name(unquote_plus(name)):
            pieces[index] = f"{name}={REDACTED}"
            changed = True
    return "".join(pieces) if changed else query


def redact_url(url: str) -> str:
    """Sensitive query (and fragment) values and any user info, redacted."""
    if not url or ("?" not in url and "#" not in url and "@" not in url):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL we can parse: treat it as free text
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{USERINFO_REDACTED}@{netloc.rpartition('@')[2]}"
    redacted = SplitResult(
        parts.scheme, netloc, parts.path, redact_query(parts.query), redact_query(parts.fragment)
    )
    return url if redacted == parts else urlunsplit(redacted)


# --- headers ----------------------------------------------------------------------
def redact_header_value(name: str, value: str) -> str:
    return REDACTED if is_sensitive_name(name) else value


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: redact_header_value(name, value) for name, value in headers.items()}


# --- bodies -----------------------------------------------------------------------
def redact_json_value(value: Any, depth: int = 0) -> Any:
    """A parsed JSON value with the values of sensitive keys replaced, at any depth."""
    if depth > 32:
        return "[nested too deep]"
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_sensitive_name(str(key)) else redact_json_value(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray)):
        return [redact_json_value(item, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # NaN and infinities are not JSON
    return value


def _json_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape in the body
        text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[truncated {len(text) - limit} chars]"


# Bodies above this size are summarised, never parsed: a preview must stay cheap
# on the request path.
MAX_PARSED_BODY = 1_048_576


def body_preview(body: bytes | str, content_type: str | None, limit: int) -> str:
    """A short, redacted preview of a request body.

    JSON bodies are parsed and their sensitive keys redacted; form bodies are
    redacted like query strings; anything else (binary, multipart, plain text
    that could hold anything) is summarised as ``<N bytes, type>``, never shown.
    """
    size = len(body)
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    summary = f"<{size} bytes{', ' + kind if kind else ''}>"
    if size == 0:
        return ""
    if size > MAX_PARSED_BODY:
        return summary
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body
    stripped = text.lstrip()
    if kind.endswith("json") or (not kind and stripped[:1] in ("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            return summary
        return truncate(_json_text(redact_json_value(parsed)), limit)
    if kind == "application/x-www-form-urlencoded":
        return truncate(redact_query(text), limit)
    return summary
