"""Secrets never leave the process: names that mark a secret, and values to scrub.

Three mechanisms, for three kinds of leaks:

* **Secret-looking names** (``is_secret_key``), one rule for every name we
  record a value under: ``@observe`` arguments, metadata keys, SDK configs,
  HTTP query parameters, headers, form fields and JSON body keys. A name is
  split into words (``openaiKey`` -> ``openai key``, ``x-auth-token`` ->
  ``x auth token``, ``AWSAccessKeyId`` -> ``aws access key id``) and is secret
  when a word says so (``token``, ``password``, ``secret``, ``auth``,
  ``cookie``, ``credential``, ``signature``...), a word ends in one
  (``accesstoken``, ``clientsecret``), it is ``key`` alone or ``... key``
  after a word that makes it one (``api_key``, ``access_key``,
  ``openai_key``; not ``sort_key``, ``cache_key``, ``public_key``), or it
  starts with ``auth`` (``authorization``, ``authkey``; not ``author``).
  Counts of tokens are not secrets: ``max_tokens``, ``token_count``.
* **Known secret values** (the API key a client holds, its credential
  headers): scrubbed from every recorded string, error messages included,
  wherever they appear (``scrub``). Instrumentors remember the values they
  see (``remember_secrets``), so that an ``@observe`` function that lets a
  provider's 401 error through records it scrubbed too.
* **Secrets quoted in free text** (``redact_text``): an exception message that
  quotes a URL with ``?token=...``, user info (``https://user:pw@host``) or a
  ``Bearer ...`` credential loses them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "<redacted>"
TEXT_REDACTED = "[REDACTED]"  # in URLs and free text: the form of the HTTP conventions
USERINFO_REDACTED = "REDACTED:REDACTED"

# A word that makes any name secret.
_SECRET_WORDS = frozenset(
    {
        "token", "secret", "secrets", "password", "passwd", "passphrase", "passcode", "pwd",
        "cookie", "cookies", "credential", "credentials", "authorization", "auth", "bearer",
        "apikey", "privatekey", "secretkey", "accesskey", "signature", "sig", "jwt", "otp",
        "pin", "verifier", "assertion",
    }
)  # fmt: skip
# A word ending in one of these is secret too (``accesstoken``, ``clientsecret``).
_SECRET_ENDINGS = (
    "token", "secret", "password", "passwd", "credential", "credentials", "signature", "cookie",
    "apikey", "accesskey", "privatekey", "secretkey",
)  # fmt: skip
# Words starting with "auth" that are not about authentication.
_NOT_AUTH = frozenset(
    {"author", "authors", "authored", "authoring", "authorship", "authority", "authorities",
     "authorized", "authentic", "authenticity"}
)  # fmt: skip
# "token" followed by one of these counts tokens rather than holding one.
_TOKEN_COUNT_WORDS = frozenset(
    {"count", "counts", "usage", "limit", "limits", "budget", "type", "ids", "estimate", "length"}
)
# "... key" is a secret unless the word before says it is another kind of key.
_NON_SECRET_KEY_QUALIFIERS = frozenset(
    {
        "sort", "cache", "primary", "partition", "foreign", "idempotency", "dedup",
        "deduplication", "lookup", "group", "routing", "hash", "map", "dict", "row", "object",
        "index", "unique", "composite", "public", "range", "shard", "entry", "item", "message",
        "translation", "i18n", "react", "order", "cursor", "label", "metric", "field", "sub",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Substrings that every secret name holds at least one of: a cheap first test.
SECRET_HINTS = ("auth", "key", "secret", "passw", "passphrase", "passcode", "token", "cookie",
                "credential", "bearer", "sig", "pwd", "jwt", "otp", "pin", "verifier",
                "assertion")  # fmt: skip


@lru_cache(maxsize=4096)  # a program uses few distinct names
def is_secret_key(name: str) -> bool:
    """Whether a value stored under ``name`` is a secret (see the module doc)."""
    lowered = name.lower()
    if not any(hint in lowered for hint in SECRET_HINTS):
        return False
    words = [w.lower() for w in _WORD.findall(name)]
    if words == ["key"]:
        return True  # ?key=AIza... (Google's API key parameter)
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "token" and following in _TOKEN_COUNT_WORDS:
            continue
        if word in _SECRET_WORDS or word.endswith(_SECRET_ENDINGS):
            return True
        if word.startswith("auth") and word not in _NOT_AUTH:
            return True
        qualifier = words[index - 1] if index > 0 else None
        if word in ("key", "keys") and qualifier and qualifier not in _NON_SECRET_KEY_QUALIFIERS:
            return True
    return False


_JSON_KEY = re.compile(r'(?<!\\)"((?:[^"\\]|\\.)*)"\s*:')
_ANY_KEY = re.compile(r'"\s*:')


def json_may_hold_secret(json_text: str) -> bool:
    """Whether some object key in ``json_text`` is secret-looking: a substring
    search first (fast), the key-by-key check only when that finds a hint."""
    if _ANY_KEY.search(json_text) is None:
        return False  # no object key at all (a list, a number, a string, {})
    lowered = json_text.lower()
    if not any(hint in lowered for hint in SECRET_HINTS):
        return False
    return any(is_secret_key(key) for key in _JSON_KEY.findall(json_text))


# --- known secret values ---------------------------------------------------------------


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret value replaced by ``<redacted>``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub_value(value: Any, secrets: tuple[str, ...]) -> Any:
    """A JSON-shaped value with every secret scrubbed from its strings (the
    value itself when none holds one)."""
    if not isinstance(value, str) and not _may_hold(value, secrets):
        return value  # one pass of the C encoder instead of a walk of every string
    return _scrubbed(value, secrets)


def _may_hold(value: Any, secrets: tuple[str, ...]) -> bool:
    """False only when no string in ``value`` holds a secret (its JSON text
    holds none, raw or escaped); True when unsure."""
    try:
        text = _ENCODER.encode(value)
    except Exception:
        return True  # not plain JSON: the walk decides
    return any(s in text or json.dumps(s, ensure_ascii=False)[1:-1] in text for s in secrets)


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _scrubbed(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {key: _scrubbed(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(item, secrets) for item in value]
    return value


def secret_values(*candidates: object) -> tuple[str, ...]:
    """The strings among ``candidates`` long enough to be real secrets (an empty
    or placeholder key would otherwise scrub ordinary text)."""
    return tuple(c for c in candidates if isinstance(c, str) and len(c) >= 8)


_MAX_KNOWN = 64  # a process talks to few accounts; the newest are kept
_known: dict[str, None] = {}  # insertion-ordered set; replaced, never mutated
_known_lock = threading.Lock()


def remember_secrets(secrets: tuple[str, ...]) -> None:
    """Remember secret values a client holds, so that every error message we
    record (``scrub_known``) loses them, wherever it was caught."""
    global _known
    if not secrets or all(s in _known for s in secrets):
        return  # the usual case: the same client again, no lock
    with _known_lock:
        known = dict(_known)
        for secret in secrets:
            known.pop(secret, None)
            known[secret] = None
        while len(known) > _MAX_KNOWN:
            del known[next(iter(known))]
        _known = known


def known_secrets() -> tuple[str, ...]:
    return tuple(_known)


def scrub_known(text: str) -> str:
    """``text`` without the remembered secret values (one substring search each)."""
    known = _known
    if not known:
        return text
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


# --- secrets quoted in free text ---------------------------------------------------------

# A name=value pair after ? & ; or # (a query string inside an error message,
# a log line), and user info after a scheme.
_PAIR_IN_TEXT = re.compile(r"(?P<lead>[?&;#])(?P<name>[^=&;#?\s'\"]+)=(?P<value>[^&;#\s'\"]*)")
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]+@")
_BEARER_IN_TEXT = re.compile(r"(?i)\b(?P<scheme>bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact_text(text: str) -> str:
    """Free text (an exception message, a status description) with the secrets
    it may quote removed: secret query values, URL user info, bearer tokens."""
    if not text:
        return text

    def pair(match: re.Match[str]) -> str:
        if is_secret_key(unquote_plus(match["name"])):
            return f"{match['lead']}{match['name']}={TEXT_REDACTED}"
        return match.group(0)

    out = _PAIR_IN_TEXT.sub(pair, text) if "=" in text else text
    if "@" in out:
        out = _USERINFO_IN_TEXT.sub(lambda m: f"{m['scheme']}{USERINFO_REDACTED}@", out)
    if " " in out:
        out = _BEARER_IN_TEXT.sub(lambda m: f"{m['scheme']} {TEXT_REDACTED}", out)
    return out
