"""aiobs 0.1.5 and aiobs-otel, the same calls against the same provider stand-in:
the events' request / response / error are equal, or differ as README.md says.

``aiobs015/run_calls.py`` makes each call (OpenAI chat and embeddings, Gemini
generate_content and Veo generate_videos: sync, stream, error, async) once under
aiobs 0.1.5 in ``.venv-aiobs015`` and once under aiobs-otel, one export per case.
Both talk to one ``StandIn`` on a fixed loopback port (restarted between the
runs, so both get the same answer ids) and to a stub of aiobs's usage service.

The normaliser below applies only the differences README.md names ("What
differs from aiobs 0.1.5's files"): each rule has the README's words, must
change something in every case that lists it, and the rest must be equal.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _aiobs015 import (
    REPO,
    SCRIPTS,
    clean_env,
    free_port,
    our_python,
    reference_python,
    run,
    shepherd_stub,
)
from aiobs_otel.demo import StandIn

Events = list[dict[str, Any]]
CLIENT_KEY = "sk-standin-compat-0123456789"  # run_calls.py's API key
_COMPARED = ("provider", "api", "request", "response", "error")


@dataclass
class Runs:
    theirs: Path  # aiobs 0.1.5's exports
    ours: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    python = reference_python()
    root = tmp_path_factory.mktemp("aiobs015")
    standin = StandIn(port=free_port())
    with shepherd_stub() as shepherd:
        for sdk, interpreter in (("aiobs", python), ("aiobs_otel", our_python())):
            standin.start()  # a fresh start numbers its answers from 1 again
            try:
                env = clean_env(shepherd.url, STANDIN_URL=standin.url)
                run(interpreter, [str(SCRIPTS / "run_calls.py"), sdk, str(root / sdk)], env, root)
            finally:
                standin.stop()
        assert {path for _, path, _, _ in shepherd.received} >= {"/v1/usage", "/v1/traces"}
    yield Runs(theirs=root / "aiobs", ours=root / "aiobs_otel")


def _events(directory: Path, case: str) -> Events | None:
    path = directory / f"{case}.json"
    if not path.exists():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    return [{key: event[key] for key in _COMPARED} for event in document["events"]]


# -- the normaliser: one rule per difference README.md names ----------------------


@dataclass(frozen=True)
class Rule:
    readme: str  # the README's words for it (test_every_rule_is_in_the_readme)
    apply: Callable[[Events, Events], bool]  # (aiobs's, ours) -> changed anything


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _each(events: Events, section: str, key: str, change: Callable[[Any], Any]) -> bool:
    changed = False
    for event in events:
        part = event.get(section)
        if isinstance(part, dict) and key in part:
            new = change(copy.deepcopy(part[key]))
            changed |= new != part[key]
            part[key] = new
    return changed


def _first_three(key: str) -> Callable[[Events, Events], bool]:
    """Our ``request[key]`` list cut to aiobs's preview of 3 items."""
    return lambda theirs, ours: _each(
        ours, "request", key, lambda value: value[:3] if isinstance(value, list) else value
    )


def unset_fields(theirs: Events, ours: Events) -> bool:
    request = [_each(theirs, "request", k, _without_none) for k in ("config", "contents", "image")]
    response = [_each(theirs, "response", k, _without_none)
                for k in ("usage", "candidates", "generated_videos")]  # fmt: skip
    return any(request + response)


def message_fields(theirs: Events, ours: Events) -> bool:
    def role_and_content(messages: Any) -> Any:
        return [{"role": m["role"], "content": m["content"]} for m in messages]

    return _each(ours, "request", "messages", role_and_content)


def part_fields(theirs: Events, ours: Events) -> bool:
    def text_and_inline_data(contents: Any) -> Any:
        for content in contents:
            content["parts"] = [{k: v for k, v in p.items() if k in ("text", "inline_data")}
                                for p in content["parts"]]  # fmt: skip
        return contents

    return _each(ours, "request", "contents", text_and_inline_data)


_ADDED = {"chat.completions.create": ("finish_reason", "tool_calls", "time_to_first_chunk"),
          "models.generate_content": ("id", "finish_reasons")}  # fmt: skip


def added_response_keys(theirs: Events, ours: Events) -> bool:
    changed = False
    for event in ours:
        for key in _ADDED.get(event["api"], ()):
            changed |= (event["response"] or {}).pop(key, None) is not None
    return changed


def system_instruction(theirs: Events, ours: Events) -> bool:
    for event in ours:
        assert event["request"]["system_instruction"] == event["request"]["config"][
            "system_instruction"]  # fmt: skip
    return _each(ours, "request", "system_instruction", lambda _: None)


def gemini_model(theirs: Events, ours: Events) -> bool:
    assert all(isinstance(e["response"]["model"], str) for e in ours)
    return _each(ours, "response", "model", lambda _: None)


def openai_stream(theirs: Events, ours: Events) -> bool:
    (event,) = ours
    assert event["response"]["text"] and event["response"]["usage"]["total_tokens"]
    event["response"] = dict.fromkeys(event["response"])  # the keys stay, the values are null
    return True


def _aiobs_records_none(theirs: Events, ours: Events) -> bool:
    assert theirs == [] and len(ours) == 1 and ours[0]["response"]
    ours.clear()
    return True


def veo_done(theirs: Events, ours: Events) -> bool:
    return _each(theirs, "response", "done", lambda done: bool(done))


def veo_final_state(theirs: Events, ours: Events) -> bool:
    (response,) = [e["response"] for e in ours]
    assert response["done"] is True and response["generated_videos"][0]["video"]["uri"]
    response.update(done=False, generated_videos=None)
    return True


def veo_source(theirs: Events, ours: Events) -> bool:
    for event in theirs:
        source = event["request"]["other"].pop("source")
        event["request"].update({k: source[k] for k in ("prompt", "image", "video")})
    return bool(theirs)


def secrets_redacted(theirs: Events, ours: Events) -> bool:
    def walk(theirs_value: Any, ours_value: Any) -> bool:
        if isinstance(theirs_value, dict) and isinstance(ours_value, dict):
            changed = False
            for key, value in ours_value.items():
                if value == "<redacted>" and theirs_value.get(key) == CLIENT_KEY:
                    theirs_value[key], changed = value, True
                else:
                    changed |= walk(theirs_value.get(key), value)
            return changed
        if isinstance(theirs_value, list) and isinstance(ours_value, list):
            return any([walk(t, o) for t, o in zip(theirs_value, ours_value, strict=False)])
        return False

    assert CLIENT_KEY not in json.dumps(ours)
    return walk(theirs, ours)


RULES: dict[str, Rule] = {  # applied in this order
    "unset_fields": Rule("fields the SDK left unset (null) are left out", unset_fields),
    "secrets_redacted": Rule("secrets are not written", secrets_redacted),
    "all_messages": Rule("all messages are kept", _first_three("messages")),
    "all_inputs": Rule("all inputs are kept", _first_three("input")),
    "all_contents": Rule("all contents are kept", _first_three("contents")),
    "message_fields": Rule("every message field is kept", message_fields),
    "part_fields": Rule("every part field is kept", part_fields),
    "added_response_keys": Rule("keys aiobs does not write", added_response_keys),
    "system_instruction": Rule("`request.system_instruction` holds", system_instruction),
    "gemini_model": Rule("`response.model` of Gemini holds the model version", gemini_model),
    "openai_stream": Rule("streams are recorded with their assembled", openai_stream),
    "gemini_streams": Rule("Gemini streams are recorded", _aiobs_records_none),
    "async_calls": Rule("async calls are recorded", _aiobs_records_none),
    "veo_done": Rule("`done` is `true` or `false`", veo_done),
    "veo_final_state": Rule("polled to done before the flush", veo_final_state),
    "veo_source": Rule("`source=` is read", veo_source),
}

_GEMINI = ["unset_fields", "gemini_model", "added_response_keys"]
CASE_RULES: dict[str, list[str]] = {
    "chat_sync": ["unset_fields", "all_messages", "added_response_keys"],
    "chat_tool_loop": ["unset_fields", "message_fields", "added_response_keys"],
    "chat_stream": ["added_response_keys", "openai_stream"],
    "chat_error": [],
    "chat_async_call": ["async_calls"],
    "chat_long": ["unset_fields", "added_response_keys"],
    "embeddings_one": [],
    "embeddings_batch": ["all_inputs"],
    "embeddings_error": [],
    "content_text": [*_GEMINI, "system_instruction"],
    "content_turns": [*_GEMINI, "all_contents"],
    "content_function_reply": [*_GEMINI, "part_fields"],
    "content_dicts": _GEMINI,
    "content_secret_header": [*_GEMINI, "secrets_redacted"],
    "content_thinking": _GEMINI,
    "content_long": _GEMINI,
    "content_stream": ["gemini_streams"],
    "content_error": [],
    "content_async_call": ["async_calls"],
    "videos_returned": ["unset_fields", "veo_done"],
    "videos_polled": ["unset_fields", "veo_done", "veo_final_state"],
    "videos_source": ["veo_done", "veo_source"],
    "videos_gcs_image": ["unset_fields", "veo_done"],
    "videos_error": [],
    "videos_async_call": ["async_calls"],
}
# aiobs 0.1.5 cannot write these files at all: it dumps the bytes it was given.
BYTES_CASES = {"content_image": ("request", "contents"), "videos_image_bytes": ("request", "image")}


@pytest.mark.parametrize("case", sorted(CASE_RULES))
def test_events_equal_but_for_the_documented_differences(runs: Runs, case: str) -> None:
    theirs, ours = _events(runs.theirs, case), _events(runs.ours, case)
    assert theirs is not None and ours is not None, f"{case}: an export is missing"
    assert [e["api"] for e in ours], f"{case}: aiobs-otel recorded nothing"
    for name in sorted(CASE_RULES[case], key=list(RULES).index):
        assert RULES[name].apply(theirs, ours), f"{case}: rule {name!r} changed nothing"
    assert ours == theirs, f"{case}: " + "; ".join(_differences(theirs, ours))


def _differences(theirs: Any, ours: Any, path: str = "events") -> list[str]:
    """Where two JSON values differ, for a readable failure."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        keys = list(theirs) + [k for k in ours if k not in theirs]
        return [d for k in keys for d in _differences(
            theirs.get(k, "<missing>"), ours.get(k, "<missing>"), f"{path}.{k}")]  # fmt: skip
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        return [d for i, (t, o) in enumerate(zip(theirs, ours, strict=True))
                for d in _differences(t, o, f"{path}[{i}]")]  # fmt: skip
    return [] if theirs == ours else [f"{path}: aiobs {theirs!r:.120} != ours {ours!r:.120}"]


@pytest.mark.parametrize("case", sorted(BYTES_CASES))
def test_media_bytes_are_size_and_mime_type(runs: Runs, case: str) -> None:
    failure = (runs.theirs / f"{case}.flush-error").read_text()
    assert failure == "TypeError: Object of type bytes is not JSON serializable"
    text = (runs.ours / f"{case}.json").read_text()
    assert "\\x89PNG" not in text and "iVBOR" not in text  # neither raw nor base64
    section, key = BYTES_CASES[case]
    (event,) = json.loads(text)["events"]
    media = json.dumps(event[section][key])
    assert '"size": 48' in media and '"mime_type": "image/png"' in media


def test_every_case_and_rule_is_accounted_for(runs: Runs) -> None:
    ran = {p.name.split(".")[0] for p in runs.ours.iterdir()}
    assert ran == set(CASE_RULES) | set(BYTES_CASES)
    assert {rule for names in CASE_RULES.values() for rule in names} == set(RULES)


def test_every_rule_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"### What differs from aiobs 0\.1\.5's files\n(.*?)(?=\n##)", readme, re.S)
    assert match, "README.md has no 'What differs from aiobs 0.1.5's files' section"
    section = " ".join(match.group(1).split()).lower()
    for name, rule in RULES.items():
        assert rule.readme.lower() in section, f"README does not name the {name!r} difference"


def test_our_exports_load_with_aiobs_015_models(runs: Runs) -> None:
    check = (
        "import json, sys; from aiobs.models import ObservabilityExport\n"
        "for path in sys.argv[1:]:\n"
        "    ObservabilityExport.model_validate(json.load(open(path)))\n"
        "print(len(sys.argv) - 1)"
    )
    files = sorted(str(p) for p in runs.ours.glob("*.json"))
    done = run(reference_python(), ["-c", check, *files], clean_env(""), runs.ours)
    assert done.stdout.strip() == str(len(files))
