"""URLs and query payloads with their secrets replaced by ``[REDACTED]``.

The form llmops-observability and the OpenTelemetry HTTP conventions use for
``url.full``: the value of each query parameter whose name looks secret
(``token``, ``api_key``, ``signature``, ``X-Goog-Signature``, ``AWSAccessKeyId``...,
see ``redaction.is_secret_key``) and the user name and password of the URL's
user-info part become ``REDACTED`` (the conventions' form there: brackets
would read as an IPv6 host); everything else is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from .redaction import REDACTED as _VALUES_REDACTED
from .redaction import is_secret_key
from .values import to_jsonable

REDACTED = "[REDACTED]"
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_QUERY_STRING = re.compile(r"^[^\s=&]+=[^\s]*$")


def redact_query(query: str) -> str:
    """``a=1&token=x`` -> ``a=1&token=[REDACTED]`` (separators and encoding kept)."""
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        if sep and is_secret_key(unquote_plus(name)):
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_url(url: str) -> str:
    """``url`` with secret query values and credentials replaced (see the module doc)."""
    try:
        split = urlsplit(url)
    except ValueError:  # not a URL we can take apart: only its query-looking tail
        head, sep, query = url.partition("?")
        return f"{head}{sep}{redact_query(query)}" if sep else url
    netloc = split.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        # OpenTelemetry's form for credentials; brackets would read as an IPv6 host
        netloc = f"REDACTED:REDACTED@{host}" if ":" in userinfo else f"REDACTED@{host}"
    query = redact_query(split.query) if split.query else split.query
    return urlunsplit((split.scheme, netloc, split.path, query, split.fragment))


def redact_payload(value: Any) -> Any:
    """A JSON-safe copy of a query payload: values under secret-looking keys,
    secret parameters of URLs and of query strings replaced by ``[REDACTED]``."""
    if isinstance(value, str):
        return _redact_text(value)
    return _mark(to_jsonable(value, redact_secrets=True))


def _redact_text(text: str) -> str:
    if _URL.match(text):
        return redact_url(text)
    if _QUERY_STRING.match(text) or ("&" in text and "=" in text and " " not in text):
        return redact_query(text)
    return text


def _mark(value: Any) -> Any:
    """One marker for a whole payload: the safe copy's ``<redacted>`` becomes ours."""
    if isinstance(value, str):
        return REDACTED if value == _VALUES_REDACTED else _redact_text(value)
    if isinstance(value, list):
        return [_mark(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _mark(item) for key, item in value.items()}
    return value
