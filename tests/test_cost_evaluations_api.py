"""The public names of ``aiobs_otel.cost`` and ``aiobs_otel.evaluations``."""

from __future__ import annotations

import subprocess
import sys

import aiobs_otel.cost as cost
import aiobs_otel.evaluations as evaluations


def test_every_public_name_exists_and_is_documented() -> None:
    for module in (cost, evaluations):
        assert module.__all__ == sorted(module.__all__, key=lambda n: (not n.isupper(), n))
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value) and not isinstance(value, type):
                assert value.__doc__, f"{module.__name__}.{name} has no docstring"


def test_importing_them_loads_no_price_table() -> None:
    """genai-prices (~70 ms) loads on the first priced call, not at import."""
    script = ("import sys, aiobs_otel.cost, aiobs_otel.evaluations; "
              "print('genai_prices' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "False"
