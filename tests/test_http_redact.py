"""The redaction rules, as a table: names, URLs, query strings, free text, bodies."""

from __future__ import annotations

import json

import pytest

from aiobs_otel.http.redact import (
    REDACTED,
    body_preview,
    is_sensitive_name,
    redact_query,
    redact_text,
    redact_url,
)

SENSITIVE = [
    "token", "Token", "key", "api_key", "apikey", "API-Key", "x-api-key", "access_token",
    "refresh_token", "password", "passwd", "secret", "client_secret", "signature", "sig",
    "X-Goog-Signature", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
    "AWSAccessKeyId", "credential", "auth", "authorization", "Proxy-Authorization",
    "auth_token", "x-auth-token", "cookie", "Set-Cookie", "private_key", "openai_key",
]  # fmt: skip
HARMLESS = ["q", "author", "authors", "keyword", "monkey", "page", "lang", "session.id", "id"]


@pytest.mark.parametrize("name", SENSITIVE)
def test_sensitive_names(name: str) -> None:
    assert is_sensitive_name(name)


@pytest.mark.parametrize("name", HARMLESS)
def test_harmless_names(name: str) -> None:
    assert not is_sensitive_name(name)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.io/a?q=1&token=abc", f"https://x.io/a?q=1&token={REDACTED}"),
        ("https://x.io/a?Signature=s&b=%2F", f"https://x.io/a?Signature={REDACTED}&b=%2F"),
        ("https://u:p@x.io/a", "https://REDACTED:REDACTED@x.io/a"),
        ("https://x.io/cb#access_token=t&state=1", f"https://x.io/cb#access_token={REDACTED}&state=1"),
        ("https://x.io/a?flag&api%5Fkey=v", f"https://x.io/a?flag&api%5Fkey={REDACTED}"),
        ("https://x.io/plain", "https://x.io/plain"),
        ("/relative?sig=1", f"/relative?sig={REDACTED}"),
    ],
)  # fmt: skip
def test_urls(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact_url(expected) == expected  # idempotent


def test_a_query_keeps_its_encoding() -> None:
    assert redact_query("a=%20b;password=x") == f"a=%20b;password={REDACTED}"


def test_free_text_loses_what_it_quotes() -> None:
    message = (
        "HTTPSConnectionPool(host='x.io', port=443): Max retries exceeded with url: "
        "/v1?key=AIza123&q=1 (via https://bob:hunter2@proxy:8080) Authorization: Bearer abcdefghijk"
    )
    redacted = redact_text(message)
    for secret in ("AIza123", "hunter2", "abcdefghijk"):
        assert secret not in redacted
    assert "q=1" in redacted and "x.io" in redacted


def test_json_bodies_are_parsed_redacted_and_capped() -> None:
    body = json.dumps({"user": "a", "auth": {"password": "p", "list": [{"api_key": "k"}]}})
    assert json.loads(body_preview(body.encode(), "application/json", 500)) == {
        "user": "a",
        "auth": REDACTED,
    }
    long = body_preview(json.dumps({"text": "x" * 1000}).encode(), "application/json", 50)
    assert long.endswith("chars]") and len(long) < 100
    assert body_preview(b'{"v": NaN}', "application/json", 100) == '{"v": "nan"}'


def test_other_bodies_are_summarised_never_shown() -> None:
    assert body_preview(b"user=a&password=p", "application/x-www-form-urlencoded", 100) == (
        f"user=a&password={REDACTED}"
    )
    assert body_preview(b"token is abc", "text/plain", 100) == "<12 bytes, text/plain>"
    assert body_preview(b"\x00\x01", None, 100) == "<2 bytes>"
    assert body_preview(b"{not json", "application/json", 100) == "<9 bytes, application/json>"
    assert body_preview(b"", "application/json", 100) == ""
