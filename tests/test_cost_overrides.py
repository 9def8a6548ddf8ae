"""User price overrides: a dict in code, a JSON file named by AIOBS_PRICES_FILE."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiobs_otel.cost import PRICES_FILE_ENV, price_call, reload_prices, set_price_overrides

FT_MODEL = "ft:gpt-4o-mini:acme::abc123"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(PRICES_FILE_ENV, raising=False)
    set_price_overrides(None)
    reload_prices()
    yield
    set_price_overrides(None)
    monkeypatch.delenv(PRICES_FILE_ENV, raising=False)
    reload_prices()


def call(model: str, provider: str | None = "openai", **usage: Any) -> Any:
    counts = {"input_tokens": 2_000_000, "output_tokens": 1_000_000, **usage}
    return price_call(provider=provider, model=model, **counts)


def test_a_dict_override_prices_a_private_model() -> None:
    assert call(FT_MODEL) is None
    set_price_overrides({FT_MODEL: {"input_mtok": 0.3, "output_mtok": 1.2}})
    cost = call(FT_MODEL)
    assert cost is not None
    assert cost.total == pytest.approx(2 * 0.3 + 1 * 1.2)
    assert (cost.priced_as, cost.currency, cost.cached_input) == (
        f"override/{FT_MODEL}", "USD", None)  # fmt: skip


def test_override_parts_currency_and_case() -> None:
    set_price_overrides({"My-Model": {"input_mtok": 1, "output_mtok": 2, "cache_read_mtok": 0.5,
                                      "output_reasoning_mtok": 4, "currency": "EUR"}})  # fmt: skip
    cost = call("my-model", cache_read_input_tokens=1_000_000, reasoning_output_tokens=500_000)
    assert cost is not None
    assert (cost.input, cost.cached_input) == pytest.approx((1.0, 0.5))
    assert (cost.output, cost.reasoning) == pytest.approx((1.0, 2.0))
    assert cost.total == pytest.approx(4.5) and cost.currency == "EUR"


def test_an_override_wins_over_the_table_and_can_be_removed() -> None:
    table = call("gpt-4o-mini")
    set_price_overrides({"gpt-4o-mini": {"input_mtok": 10, "output_mtok": 10}})
    assert call("gpt-4o-mini").total == pytest.approx(30.0)
    set_price_overrides({})
    assert call("gpt-4o-mini").total == pytest.approx(table.total)


def test_a_provider_scoped_override() -> None:
    set_price_overrides({"llama3": {"input_mtok": 0.1, "output_mtok": 0.1, "provider": "ollama"}})
    assert call("llama3", provider="ollama") is not None
    assert call("llama3", provider="openai") is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ([("m", {})], "must be a mapping"),
        ({"": {"input_mtok": 1, "output_mtok": 1}}, "non-empty string"),
        ({"m": 3}, "must map to an object"),
        ({"m": {"input_mtok": 1}}, "missing output_mtok"),
        ({"m": {"input_mtok": -1, "output_mtok": 1}}, "input_mtok must be a non-negative number"),
        ({"m": {"input_mtok": "1", "output_mtok": 1}}, "input_mtok must be a non-negative number"),
        ({"m": {"input_mtok": True, "output_mtok": 1}}, "input_mtok must be a non-negative"),
        ({"m": {"input_mtok": float("nan"), "output_mtok": 1}}, "non-negative number"),
        ({"m": {"input_mtok": 1, "output_mtok": 1, "cached": 1}}, "unknown field(s) cached"),
        ({"m": {"input_mtok": 1, "output_mtok": 1, "currency": "dollars"}}, "ISO 4217"),
        ({"m": {"input_mtok": 1, "output_mtok": 1, "provider": ""}}, "provider must be"),
    ],
)
def test_bad_overrides_raise_and_keep_the_current_ones(overrides: Any, message: str) -> None:
    set_price_overrides({FT_MODEL: {"input_mtok": 1, "output_mtok": 1}})
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        set_price_overrides(overrides)
    assert call(FT_MODEL) is not None


def test_a_file_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({FT_MODEL: {"input_mtok": 0.5, "output_mtok": 1.5}}))
    monkeypatch.setenv(PRICES_FILE_ENV, str(path))
    reload_prices()
    assert call(FT_MODEL).total == pytest.approx(2 * 0.5 + 1.5)
    # code overrides win over the file
    set_price_overrides({FT_MODEL: {"input_mtok": 1, "output_mtok": 1}})
    assert call(FT_MODEL).total == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "is not valid JSON"),
        ('{"m": {"input_mtok": 1}}', "missing output_mtok"),
        ("[1, 2]", "must be a mapping"),
        (None, "cannot read"),
    ],
)
def test_a_bad_file_is_one_clear_log_line_and_no_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    content: str | None, reason: str,
) -> None:  # fmt: skip
    path = tmp_path / "prices.json"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv(PRICES_FILE_ENV, str(path))
    reload_prices()
    with caplog.at_level(logging.ERROR, logger="aiobs_otel.cost"):
        assert call("gpt-4o-mini") is not None  # the table still prices
        assert call("other-model") is None
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors  # read once, reported once
    assert PRICES_FILE_ENV in errors[0] and reason in errors[0] and str(path) in errors[0]


def test_a_bad_file_never_breaks_import(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("{broken")
    script = ("import aiobs_otel.cost as c; print(c.price_call(provider='openai', "
              "model='gpt-4o-mini', input_tokens=1, output_tokens=1) is not None)")  # fmt: skip
    env = {"AIOBS_PRICES_FILE": str(path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert "AIOBS_PRICES_FILE ignored" in done.stderr
