"""Prices from genai-prices' packaged table: the demo's models, Bedrock ids,
unknown models, llmops's ``calculate_cost`` and its README example.

Expected values are computed here from the table entry's published per-million
prices (read straight from ``genai_prices.data``), not through our lookup.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from genai_prices import Usage, calc_price
from genai_prices.data import providers
from genai_prices.types import ModelPrice

from aiobs_otel.cost import calculate_cost, price_call, reload_prices

MILLION = Decimal(1_000_000)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    reload_prices()


def table_prices(provider_id: str, model_id: str) -> ModelPrice:
    """The table entry's flat prices, found by ids (no matching logic)."""
    [provider] = [p for p in providers if p.id == provider_id]
    [model] = [m for m in provider.models if m.id == model_id]
    assert isinstance(model.prices, ModelPrice), "a dated price list: pick the current one"
    return model.prices


def per_million(tokens: int, price: Any) -> float:
    return float(Decimal(tokens) * Decimal(price) / MILLION)


def test_demo_chat_model_with_cached_input() -> None:
    prices = table_prices("openai", "gpt-4o-mini")
    cost = price_call(provider="openai", model="gpt-4o-mini", input_tokens=1500,
                      output_tokens=800, cache_read_input_tokens=600)  # fmt: skip
    assert cost is not None
    assert cost.input == pytest.approx(per_million(900, prices.input_mtok), rel=1e-12)
    assert cost.cached_input == pytest.approx(per_million(600, prices.cache_read_mtok), rel=1e-12)
    assert cost.output == pytest.approx(per_million(800, prices.output_mtok), rel=1e-12)
    assert cost.reasoning is None  # not priced separately: reasoning is output
    expected = (per_million(900, prices.input_mtok) + per_million(600, prices.cache_read_mtok)
                + per_million(800, prices.output_mtok))  # fmt: skip
    assert cost.total == pytest.approx(expected, rel=1e-12)
    assert (cost.currency, cost.source, cost.priced_as) == ("USD", "local", "openai/gpt-4o-mini")


def test_a_dated_response_model_prices_as_its_family() -> None:
    dated = price_call(provider="openai", model="gpt-4o-mini-2024-07-18", input_tokens=10,
                       output_tokens=10)  # fmt: skip
    assert dated is not None and dated.model_id == "gpt-4o-mini"


def test_demo_embeddings_model_has_input_only() -> None:
    prices = table_prices("openai", "text-embedding-3-small")
    cost = price_call(provider="openai", model="text-embedding-3-small", input_tokens=4000,
                      output_tokens=None)  # fmt: skip
    assert cost is not None
    assert cost.total == pytest.approx(per_million(4000, prices.input_mtok), rel=1e-12)
    assert cost.output is None  # the table has no output price for it


@pytest.mark.parametrize("provider", ["gcp.gemini", "gcp.vertex_ai"])
def test_demo_gemini_flash(provider: str) -> None:
    prices = table_prices("google", "gemini-2.0-flash")
    cost = price_call(provider=provider, model="gemini-2.0-flash", input_tokens=1200,
                      output_tokens=300, cache_read_input_tokens=200)  # fmt: skip
    assert cost is not None and cost.priced_as == "google/gemini-2.0-flash"
    expected = (per_million(1000, prices.input_mtok) + per_million(200, prices.cache_read_mtok)
                + per_million(300, prices.output_mtok))  # fmt: skip
    assert cost.total == pytest.approx(expected, rel=1e-12)


def test_gemini_thinking_tokens_are_billed_as_output() -> None:
    """Gemini's candidates_token_count (our output_tokens) leaves thoughts out."""
    prices = table_prices("google", "gemini-2.5-flash")
    cost = price_call(provider="gcp.gemini", model="gemini-2.5-flash", input_tokens=100,
                      output_tokens=50, reasoning_output_tokens=8)  # fmt: skip
    assert cost is not None
    expected = per_million(100, prices.input_mtok) + per_million(58, prices.output_mtok)
    assert cost.total == pytest.approx(expected, rel=1e-12)
    # OpenAI's completion_tokens already include reasoning: nothing is added
    openai = price_call(provider="openai", model="o3-mini", input_tokens=100, output_tokens=50,
                        reasoning_output_tokens=8)  # fmt: skip
    o3 = table_prices("openai", "o3-mini")
    assert openai is not None
    expected_openai = per_million(100, o3.input_mtok) + per_million(50, o3.output_mtok)
    assert openai.total == pytest.approx(expected_openai, rel=1e-12)


def test_tiered_prices_follow_the_total_input() -> None:
    small = price_call(provider="gcp.gemini", model="gemini-2.5-pro", input_tokens=1000,
                       output_tokens=100)  # fmt: skip
    large = price_call(provider="gcp.gemini", model="gemini-2.5-pro", input_tokens=300_000,
                       output_tokens=100)  # fmt: skip
    expected = calc_price(Usage(input_tokens=300_000, output_tokens=100), "gemini-2.5-pro",
                          provider_id="google").total_price  # fmt: skip
    assert small is not None and large is not None
    assert large.total == pytest.approx(float(expected), rel=1e-12)
    assert large.output / 100 > small.output / 100  # type: ignore[operator]  # the upper tier


BEDROCK = [
    ("anthropic.claude-3-sonnet-20240229-v1:0", "regional.anthropic.claude-3-sonnet-20240229-v1:0"),
    ("anthropic.claude-3-haiku-20240307-v1:0", "regional.anthropic.claude-3-haiku-20240307-v1:0"),
]


@pytest.mark.parametrize(("model", "table_id"), BEDROCK)
def test_bedrock_ids(model: str, table_id: str) -> None:
    prices = table_prices("aws", table_id)
    expected = per_million(1500, prices.input_mtok) + per_million(800, prices.output_mtok)
    for provider in ("aws.bedrock", None):  # the id alone says Bedrock
        cost = price_call(provider=provider, model=model, input_tokens=1500, output_tokens=800)
        assert cost is not None and cost.priced_as == f"aws/{table_id}"
        assert cost.total == pytest.approx(expected, rel=1e-12)
    assert calculate_cost(model, 1500, 800) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "error-429"), ("openai", "my-private-model"), ("gcp.vertex_ai",
     "veo-3.0-generate-001"), ("ollama", "llama3"), (None, "")],
)  # fmt: skip
def test_unknown_models_cost_nothing(provider: str | None, model: str) -> None:
    assert price_call(provider=provider, model=model, input_tokens=10, output_tokens=10) is None
    assert price_call(provider=provider, model=model, input_tokens=10, output_tokens=10) is None


def test_odd_usage_is_never_an_error() -> None:
    assert price_call(provider="openai", model="gpt-4o-mini", input_tokens=None,
                      output_tokens=None) is None  # fmt: skip
    weird = price_call(provider="openai", model="gpt-4o-mini", input_tokens=-5, output_tokens=True,  # type: ignore[arg-type]
                       cache_read_input_tokens="x")  # type: ignore[arg-type]  # fmt: skip
    assert weird is None
    # more cached than input (a provider bug): capped, never negative
    capped = price_call(provider="openai", model="gpt-4o-mini", input_tokens=10, output_tokens=0,
                        cache_read_input_tokens=50)  # fmt: skip
    assert capped is not None and capped.input == 0.0 and capped.total > 0


def test_every_table_model_matches_genai_prices_own_calculation() -> None:
    """Our arithmetic against the library's, for the whole packaged table."""
    usage = Usage(input_tokens=1500, output_tokens=800, cache_read_tokens=300,
                  output_reasoning_tokens=100)  # fmt: skip
    compared = 0
    for provider in providers:
        for model in provider.models:
            try:
                expected = calc_price(usage, model.id, provider_id=provider.id).total_price
            except (LookupError, ValueError):
                continue  # no token prices (images, seconds), or ids another entry shadows
            cost = price_call(provider=provider.id, model=model.id, input_tokens=1500,
                              output_tokens=800, cache_read_input_tokens=300,
                              reasoning_output_tokens=100, reasoning_in_output=True)  # fmt: skip
            assert cost is not None, (provider.id, model.id)
            assert cost.total == pytest.approx(float(expected), rel=1e-9, abs=1e-15), model.id
            compared += 1
    assert compared > 1000


# llmops-observability README, section 8 "Token Pricing & Cost Calculation":
#     cost = calculate_cost(
#         model_id="anthropic.claude-3-sonnet-20240229-v1:0",
#         input_tokens=1500,
#         output_tokens=800
#     )
#     print(f"Cost: ${cost:.4f}")  # Output: Cost: $0.0075
README_PRINTED = "Cost: $0.0075"


def test_llmops_readme_example_runs_and_prints_the_tables_price() -> None:
    cost = calculate_cost(
        model_id="anthropic.claude-3-sonnet-20240229-v1:0", input_tokens=1500, output_tokens=800
    )
    # Bedrock's published Claude 3 Sonnet price ($3 / $15 per million tokens, as in
    # the table) gives $0.0165; the README's comment prints $0.0075 (README section
    # "Cost and evaluations" says so).
    prices = table_prices("aws", "regional.anthropic.claude-3-sonnet-20240229-v1:0")
    assert (prices.input_mtok, prices.output_mtok) == (Decimal(3), Decimal(15))
    assert f"Cost: ${cost:.4f}" == "Cost: $0.0165" != README_PRINTED

    models_used = {
        "anthropic.claude-3-sonnet-20240229-v1:0": {"input_tokens": 10000, "output_tokens": 5000},
        "anthropic.claude-3-haiku-20240307-v1:0": {"input_tokens": 20000, "output_tokens": 10000},
    }
    total_cost = sum(
        calculate_cost(model, data["input_tokens"], data["output_tokens"])
        for model, data in models_used.items()
    )
    assert f"Total cost: ${total_cost:.4f}" == "Total cost: $0.1225"


def test_calculate_cost_of_an_unknown_model_is_zero() -> None:
    assert calculate_cost("anthropic.claude-v2:1", 1000, 1000) == 0.0  # not in the table


NO_NETWORK = """
import socket
def refuse(*args, **kwargs):
    raise AssertionError("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
from aiobs_otel.cost import price_call
cost = price_call(provider="openai", model="gpt-4o-mini", input_tokens=10, output_tokens=5)
import genai_prices.data_snapshot as snapshot
assert snapshot._custom_snapshot is None  # the packaged table, no update task started
print(cost.total)
"""


def test_pricing_never_touches_the_network() -> None:
    done = subprocess.run([sys.executable, "-c", NO_NETWORK], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0
