"""Secrets never leave the process: names that mark a secret, and values to scrub.

Two mechanisms, for two kinds of leaks:

* **Secret-looking keys** in values the user hands us opaquely (``@observe``
  arguments, an SDK config with headers): the value under such a key is
  recorded as ``<redacted>``. A key is split into words (``openaiKey`` ->
  ``openai key``, ``x-auth-token`` -> ``x auth token``) and is secret when a
  word says so (``token``, ``password``, ``secret``, ``auth``...) or it ends in
  ``key`` after a word that makes it one (``api_key``, ``access_key``,
  ``openai_key``; not ``sort_key`` or ``cache_key``).
* **Known secret values** (the API key a client holds, credential headers):
  scrubbed from every recorded string, error messages included, wherever they
  appear (``scrub``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

REDACTED = "<redacted>"

# A word that makes any key secret.
_SECRET_WORDS = frozenset(
    {
        "token", "secret", "secrets", "password", "passwd", "passphrase", "pwd", "cookie",
        "cookies", "credential", "credentials", "authorization", "auth", "bearer", "apikey",
        "privatekey", "signature", "sig", "jwt", "otp", "pin",
    }
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
        "translation", "i18n", "react", "order", "cursor", "label", "metric", "field",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Substrings that every secret key holds at least one of: a cheap first test.
SECRET_HINTS = ("auth", "key", "secret", "passw", "passphrase", "token", "cookie", "credential",
                "bearer", "sig", "pwd", "jwt", "otp", "pin")  # fmt: skip


@lru_cache(maxsize=4096)  # a program uses few distinct key names
def is_secret_key(name: str) -> bool:
    """Whether a value stored under ``name`` is a secret (see the module doc)."""
    lowered = name.lower()
    if not any(hint in lowered for hint in SECRET_HINTS):
        return False
    words = [w.lower() for w in _WORD.findall(name)]
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "token" and following in _TOKEN_COUNT_WORDS:
            continue
        if word in _SECRET_WORDS:
            return True
        qualifier = words[index - 1] if index > 0 else None
        if word in ("key", "keys") and qualifier and qualifier not in _NON_SECRET_KEY_QUALIFIERS:
            return True
    return False


_JSON_KEY = re.compile(r'(?<!\\)"((?:[^"\\]|\\.)*)"\s*:')


def json_may_hold_secret(json_text: str) -> bool:
    """Whether some object key in ``json_text`` is secret-looking: a substring
    search first (fast), the key-by-key check only when that finds a hint."""
    lowered = json_text.lower()
    if not any(hint in lowered for hint in SECRET_HINTS):
        return False
    return any(is_secret_key(key) for key in _JSON_KEY.findall(json_text))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret value replaced by ``<redacted>``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def secret_values(*candidates: object) -> tuple[str, ...]:
    """The strings among ``candidates`` long enough to be real secrets (an empty
    or placeholder key would otherwise scrub ordinary text)."""
    return tuple(c for c in candidates if isinstance(c, str) and len(c) >= 8)
