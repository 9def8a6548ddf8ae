"""Errors and custom providers, against aiobs 0.1.5 itself.

Each bad call of ``aiobs015/bad_calls.py`` (labels, API key, exporters) runs
under aiobs 0.1.5 and under aiobs-otel: the same exception class, and our
message begins with aiobs's (users match on it; our detail may follow). Then
one custom provider, written as aiobs documents it, runs under both
(``aiobs015/custom_provider.py``): the same events, and a malformed payload that
aiobs 0.1.5 raises into the caller is recorded here instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from _aiobs015 import (
    INVALID_KEY,
    SCRIPTS,
    clean_env,
    our_python,
    reference_python,
    run,
    shepherd_stub,
)


@pytest.fixture(scope="module")
def raised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    python, cwd = reference_python(), tmp_path_factory.mktemp("bad_calls")
    seen = {}
    with shepherd_stub() as shepherd:
        env = clean_env(shepherd.url, REJECTED_KEY=INVALID_KEY)
        for sdk, interpreter in (("aiobs", python), ("aiobs_otel", our_python())):
            done = run(interpreter, [str(SCRIPTS / "bad_calls.py"), sdk], env, cwd)
            seen[sdk] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def _bad_calls() -> list[str]:
    source = (SCRIPTS / "bad_calls.py").read_text(encoding="utf-8")
    return [line.split('"')[1] for line in source.splitlines() if line.startswith('    "')]


@pytest.mark.parametrize("call", _bad_calls())
def test_our_message_begins_with_aiobs_015s(raised: dict[str, Any], call: str) -> None:
    theirs, ours = raised["aiobs"][call], raised["aiobs_otel"][call]
    assert theirs is not None, f"aiobs 0.1.5 raised nothing for {call!r}"
    assert ours is not None, f"we raised nothing for {call!r}; aiobs raised {theirs}"
    assert ours[0] == theirs[0]  # the same exception class
    assert ours[1].startswith(theirs[1]), f"{call}: {ours[1]!r} does not begin with {theirs[1]!r}"


def test_every_bad_call_was_made(raised: dict[str, Any]) -> None:
    assert set(raised["aiobs"]) == set(raised["aiobs_otel"]) == set(_bad_calls())


def test_the_gcs_hint_names_this_checkout(raised: dict[str, Any]) -> None:
    message = raised["aiobs_otel"]["GCSExporter without google-cloud-storage"][1]
    command = message.split("(or the extra: ", 1)[1].rstrip(")")
    python, _, _, _, target = command.split(" ")
    assert Path(python).exists() and Path(target.strip("'").removesuffix("[gcs]")).is_dir()


# -- custom providers --------------------------------------------------------------


def _run_provider(tmp_path: Path) -> dict[str, Any]:
    python, results = reference_python(), {}
    with shepherd_stub() as shepherd:
        for sdk, interpreter in (("aiobs", python), ("aiobs_otel", our_python())):
            out = tmp_path / f"{sdk}.json"
            done = run(interpreter, [str(SCRIPTS / "custom_provider.py"), sdk, str(out)],
                       clean_env(shepherd.url), tmp_path)  # fmt: skip
            results[sdk] = json.loads(done.stdout.strip().splitlines()[-1])
            results[sdk]["events"] = json.loads(out.read_text())["events"]
    return results


def test_a_custom_provider_records_what_it_records_under_aiobs(tmp_path: Path) -> None:
    results = _run_provider(tmp_path)
    theirs, ours = results["aiobs"], results["aiobs_otel"]
    for result in (theirs, ours):
        assert result["patched"] and result["unpatched"]  # install() on observe(), reset() undoes
        assert result["raised"]["fail"] == "ConnectionError: echo server unreachable"
    keys = ("provider", "api", "request", "response", "error", "callsite")
    good = [{k: e[k] for k in keys} for e in ours["events"][:2]]
    assert good == [{k: e[k] for k in keys} for e in theirs["events"]]
    # aiobs 0.1.5 raises the malformed payload into the provider's caller and
    # records nothing; here the call returns and the event is recorded as it can be.
    assert theirs["raised"]["malformed"].startswith("ValueError: could not convert")
    assert ours["raised"]["malformed"] is None
    (malformed,) = ours["events"][2:]
    assert malformed["request"]["prompt"] == "malformed" and malformed["api"] == "call"
    assert isinstance(malformed["started_at"], float) and malformed["duration_ms"] >= 0
