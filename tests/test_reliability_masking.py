"""Issue 17, failure 5 (continued): the secret-name rule as a table (one rule
for ``@observe`` values and HTTP names), and the user's masking hook."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import aiobs_otel
from aiobs_otel import Observer, observe
from aiobs_otel.http.redact import is_sensitive_name
from aiobs_otel.masking import MASK_FAILED
from aiobs_otel.redaction import is_secret_key, redact_text

pytest_plugins = ("openai_fixtures",)

SECRET_NAMES = [
    # the list: recorded in clear before
    "auth_token", "github_token", "hf_token", "api_token", "bearer_token", "session_token",
    "x-auth-token", "openai_key", "passphrase", "access_key",
    # and more
    "token", "Token", "key", "api_key", "apikey", "API-Key", "x-api-key", "x-goog-api-key",
    "openaiKey", "accessToken", "accesstoken", "refresh_token", "id_token", "password",
    "passwd", "DB_PASSWORD", "pwd", "passcode", "secret", "client_secret", "clientSecret",
    "webhook_secret", "aws_secret_access_key", "AWSAccessKeyId", "secret_key", "private_key",
    "signature", "sig", "X-Goog-Signature", "X-Amz-Signature", "X-Amz-Credential",
    "X-Amz-Security-Token", "credential", "credentials", "auth", "authorization",
    "Proxy-Authorization", "authKey", "cookie", "Set-Cookie", "jwt", "otp", "pin",
    "code_verifier", "client_assertion", "slack_bot_token", "stripe_api_key",
]  # fmt: skip
HARMLESS_NAMES = [
    "max_tokens", "token_count", "total_tokens", "input_tokens", "max_output_tokens",
    "num_tokens", "token_ids", "tokenizer", "sort_key", "cache_key", "primary_key",
    "public_key", "idempotency_key", "partition_key", "message_key", "key_id", "keys",
    "keyword", "monkey", "author", "authors", "authority", "design", "pinned", "spinner",
    "q", "page", "lang", "session.id", "id", "username", "email", "prompt", "temperature",
]  # fmt: skip


def test_the_name_rule_as_a_table() -> None:
    for name in SECRET_NAMES:
        assert is_secret_key(name), name
        assert is_sensitive_name(name), name  # one rule for HTTP names too
    for name in HARMLESS_NAMES:
        assert not is_secret_key(name), name
        assert not is_sensitive_name(name), name


def test_observe_records_secret_named_arguments_as_redacted(
    observer: Observer, flush_json: Callable[..., dict[str, Any]], spans: InMemorySpanExporter
) -> None:
    @observe
    def configure(**options: Any) -> dict[str, Any]:
        return {"echo": options}

    values = {name: f"value-of-{i}" for i, name in enumerate(SECRET_NAMES + HARMLESS_NAMES)}
    observer.observe()
    configure(**values)
    (event,) = flush_json()["function_events"]
    expected = {name: "<redacted>" if name in SECRET_NAMES else value
                for name, value in values.items()}  # fmt: skip
    assert event["kwargs"] == expected
    assert event["result"] == {"echo": expected}
    (span,) = spans.get_finished_spans()
    attributes = span.attributes or {}
    assert json.loads(str(attributes["aiobs.function.kwargs"])) == expected
    recorded = json.dumps(dict(attributes))
    for i, name in enumerate(SECRET_NAMES):
        assert f'"value-of-{i}"' not in recorded, name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Client error '401' for url 'https://x.io/v1?token=t0k3n&page=2'",
         "Client error '401' for url 'https://x.io/v1?token=[REDACTED]&page=2'"),
        ("GET /v1/models?key=AIzaSy123 failed", "GET /v1/models?key=[REDACTED] failed"),
        ("refused Authorization: Bearer abcdefgh123", "refused Authorization: Bearer [REDACTED]"),
        ("via https://bob:hunter2@proxy:8080", "via https://REDACTED:REDACTED@proxy:8080"),
        ("?max_tokens=5&sort_key=a", "?max_tokens=5&sort_key=a"),
    ],
)  # fmt: skip
def test_secrets_quoted_in_an_error_message(text: str, expected: str) -> None:
    assert redact_text(text) == expected


# --- the masking hook --------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def email_mask() -> Iterator[None]:
    aiobs_otel.set_mask(lambda text: EMAIL.sub("<email>", text))
    yield
    aiobs_otel.set_mask(None)


def _span_strings(spans: InMemorySpanExporter) -> str:
    """Every string our spans carry: attributes, event attributes, status."""
    parts = []
    for span in spans.get_finished_spans():
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        parts.extend(json.dumps(dict(e.attributes or {}), default=str) for e in span.events)
        parts.append(str(span.status.description))
    return "\n".join(parts)


def test_the_mask_reaches_spans_and_the_export(
    observer: Observer, client: openai.OpenAI, flush_json: Callable[..., dict[str, Any]],
    spans: InMemorySpanExporter, email_mask: None,
) -> None:  # fmt: skip
    @observe
    def support(customer: str, note: dict[str, str]) -> str:
        reply = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Write to {customer} about {note['topic']}"}],
        )
        return f"sent to {customer}: {reply.choices[0].message.content}"

    @observe
    def failing(customer: str) -> None:
        raise ValueError(f"no account for {customer}")

    observer.observe(labels={"owner": "ops@example.com"})
    result = support("ann@example.com", {"topic": "bill", "cc": "bob@example.org"})
    with pytest.raises(ValueError, match=r"ann@example\.com"):  # the user's error is untouched
        failing("ann@example.com")
    document = flush_json()

    assert result.startswith("sent to ann@example.com")  # the user's value is untouched
    on_spans = _span_strings(spans)
    exported = json.dumps(document)
    for text in (on_spans, exported):
        assert "@example." not in text
        assert "<email>" in text
    assert "Write to <email> about bill" in on_spans  # the message content JSON
    assert "aiobs.label.owner" in on_spans
    functions = {e["name"]: e for e in document["function_events"]}
    assert functions["support"]["args"] == ["<email>", {"topic": "bill", "cc": "<email>"}]
    assert functions["failing"]["error"] == "ValueError: no account for <email>"
    (call,) = document["events"]
    assert call["request"]["messages"][0]["content"] == "Write to <email> about bill"


def test_a_failing_mask_never_lets_the_value_through(
    observer: Observer, flush_json: Callable[..., dict[str, Any]], spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    def broken(text: str) -> str:
        if "secret" in text.lower():
            raise RuntimeError("mask bug")
        return text

    @observe
    def work(value: str) -> str:
        return value.upper()

    aiobs_otel.set_mask(broken)
    try:
        observer.observe()
        assert work("a secret plan") == "A SECRET PLAN"
        assert work("another secret") == "ANOTHER SECRET"
        document = flush_json()
    finally:
        aiobs_otel.set_mask(None)
    assert "secret" not in _span_strings(spans).lower()
    assert "secret" not in json.dumps(document).lower()
    assert {e["result"] for e in document["function_events"]} == {MASK_FAILED}
    warnings = [r for r in caplog.records if "set_mask" in r.getMessage()]
    assert len(warnings) == 1  # once, not per value


def test_set_mask_checks_its_argument() -> None:
    with pytest.raises(TypeError, match="callable"):
        aiobs_otel.set_mask("not a function")  # type: ignore[arg-type]
