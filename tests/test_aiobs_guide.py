"""aiobs's usage guide, tried as a new user would: each Python example with only
``from aiobs import`` changed to ``from aiobs_otel import``, run in its own
process against the provider stand-in (``OPENAI_BASE_URL``,
``GOOGLE_GEMINI_BASE_URL``; Veo on Vertex AI express mode, the only place
google-genai 3.x serves it), and the export checked for what the guide says
is captured.

The guide is ``docs/usage.rst`` of aiobs 0.1.5's sdist (``scripts/test.sh``
unpacks it into ``.venv-aiobs015/sdist``), or the file ``AIOBS015_GUIDE``
names. Every block of the guide has an entry below: a check, or why it is not
Python (shell lines).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from _aiobs015 import REPO, SCRIPTS
from aiobs_otel.demo import StandIn

GUIDE = REPO / ".venv-aiobs015" / "sdist" / "aiobs-0.1.5" / "docs" / "usage.rst"
_NOT_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_")


def guide_text() -> str:
    path = Path(os.environ.get("AIOBS015_GUIDE") or GUIDE)
    if not path.is_file():
        pytest.fail(f"aiobs 0.1.5's usage guide is not at {path}: run scripts/test.sh "
                    "(it unpacks aiobs's sdist), or set AIOBS015_GUIDE", pytrace=False)  # fmt: skip
    return path.read_text(encoding="utf-8")


def guide_blocks(text: str) -> dict[tuple[str, int], str]:
    """(section title, n-th literal block in it) -> the block's code."""
    lines, blocks, section, count = text.splitlines(), {}, "", 0
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"[-^=~]{3,}", following):
            section, count = line.strip(), 0
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            index += 1
            body = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:4] == "    "):
                body.append(lines[index])
                index += 1
            blocks[(section, count)] = textwrap.dedent("\n".join(body)).strip() + "\n"
            count += 1
            continue
        index += 1
    return blocks


@dataclass
class Result:
    stdout: str
    exports: list[dict[str, Any]]


@dataclass
class Example:
    check: Callable[[Result], None] | None = None
    given: tuple[str, ...] = ()  # names the snippet uses but never defines
    env: dict[str, str] = field(default_factory=dict)
    shell: str | None = None  # why it is not run as Python
    warnings: tuple[str, ...] = ()  # what aiobs-otel says on stderr (nothing, mostly)


def only(result: Result) -> dict[str, Any]:
    (document,) = result.exports
    return document


def one_event(result: Result, api: str) -> dict[str, Any]:
    (event,) = only(result)["events"]
    assert event["api"] == api and event["error"] is None
    assert event["started_at"] <= event["ended_at"] and event["duration_ms"] >= 0  # "Timing"
    assert event["callsite"]["file"] == "guide_example.py"  # "Callsite"
    return dict(event)


def session_labels(result: Result) -> None:
    (session,) = only(result)["sessions"]
    assert session["name"] == "my-session"
    labels = session["labels"]
    assert {k: labels[k] for k in ("environment", "team", "project", "version")} == {
        "environment": "production", "team": "ml-platform",
        "project": "recommendation-engine", "version": "v2.3.1",
    }  # fmt: skip
    assert {"aiobs_sdk_version", "aiobs_python_version", "aiobs_hostname", "aiobs_os"} <= set(
        labels
    )


def dynamic_labels(result: Result) -> None:
    printed = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    (session,) = only(result)["sessions"]
    assert printed == session["labels"]
    assert {k: v for k, v in printed.items() if not k.startswith("aiobs_")} == {
        "environment": "production"
    }
    assert "aiobs_sdk_version" in printed


def env_labels(result: Result) -> None:
    assert result.stdout.strip() == "production"
    # Never flushed: written at exit with a warning (aiobs 0.1.5 loses the session).
    (session,) = only(result)["sessions"]
    assert session["labels"]["environment"] == "production"


def no_calls(result: Result) -> None:
    assert len(only(result)["sessions"]) == 1 and only(result)["events"] == []


def embeddings(inputs: Any) -> Callable[[Result], None]:
    def check(result: Result) -> None:
        event = one_event(result, "embeddings.create")
        request, response = event["request"], event["response"]
        assert (request["model"], request["input"]) == ("text-embedding-3-small", inputs)
        assert {"encoding_format", "dimensions"} <= set(request)
        count = len(inputs) if isinstance(inputs, list) else 1
        assert [len(d["embedding"]) for d in response["data"]] == [1536] * count  # the vectors
        assert response["embedding_dimensions"] == 1536 and response["usage"]["total_tokens"]

    return check


def gemini(result: Result) -> None:
    event = one_event(result, "models.generate_content")
    assert event["provider"] == "gemini"
    assert event["request"]["contents"] == "Explain quantum computing"
    assert event["response"]["text"] and event["response"]["usage"]["total_token_count"]


def veo(result: Result) -> None:
    event = one_event(result, "models.generate_videos")
    assert event["request"]["prompt"].startswith("A cinematic shot of waves")
    response = event["response"]
    assert "/operations/" in response["operation_name"] and response["done"] is True
    (video,) = response["generated_videos"]
    assert video["video"]["mime_type"] == "video/mp4" and video["video"]["size"] > 0


def veo_image(result: Result) -> None:
    event = one_event(result, "models.generate_videos")
    request = event["request"]
    assert request["image"] == {"size": 72, "mime_type": "image/png"}  # never the bytes
    assert request["config"] == {"aspect_ratio": "16:9", "resolution": "720p"}
    assert event["response"]["done"] is False and event["response"]["operation_name"]


def observed_function(result: Result) -> None:
    document = only(result)
    assert [s["name"] for s in document["sessions"]] == ["my-pipeline"]
    (function,) = document["function_events"]  # fetch_data is never called
    assert (function["name"], function["args"]) == ("research", ["What is an API?"])
    assert function["result"] == ["An API is a contract between programs."]
    assert function["callsite"]["file"] == "guide_example.py"


def writes_nothing(result: Result) -> None:
    assert result.exports == []  # the snippet defines functions and calls none


VERTEX = {"GOOGLE_GENAI_USE_VERTEXAI": "true"}
EXAMPLES: dict[tuple[str, int], Example] = {
    ("Session Labels", 0): Example(session_labels),
    ("Dynamic Label Updates", 0): Example(dynamic_labels),
    ("Environment Variable Labels", 0): Example(shell="export lines for the shell"),
    ("Environment Variable Labels", 1): Example(
        env_labels,
        given=("observer",),
        env={"AIOBS_LABEL_ENVIRONMENT": "staging"},
        warnings=("aiobs-otel: observations were not flushed before exit; wrote them to",),
    ),
    ("Simple Chat Completions (OpenAI)", 0): Example(no_calls),
    ("OpenAI Embeddings", 0): Example(embeddings("Hello world")),
    ("OpenAI Embeddings", 1): Example(embeddings(["Hello world", "Goodbye world", "How are you?"])),
    ("Gemini Generate Content", 0): Example(gemini),
    ("Gemini Video Generation (Veo)", 0): Example(veo, given=("time",), env=VERTEX),
    ("Gemini Video Generation (Veo)", 1): Example(veo_image, given=("image_object",), env=VERTEX),
    ("Function Tracing with @observe", 0): Example(observed_function, given=("results",)),
    ("Decorator Options", 0): Example(writes_nothing, given=("observe",)),
    ("Enhanced Prompt Tracing", 0): Example(writes_nothing, given=("client", "process")),
    ("Pipeline Example", 0): Example(shell="runs aiobs's repository example (examples/ here)"),
    ("Output", 0): Example(shell="a shell line: LLM_OBS_OUT is tested in test_observer.py"),
}


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(video_polls=1) as server:
        yield server


def run_example(code: str, example: Example, standin: StandIn, cwd: Path) -> Result:
    (cwd / "guide_example.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    env.update(
        OPENAI_BASE_URL=standin.openai_base_url, OPENAI_API_KEY="sk-guide-test",
        GOOGLE_API_KEY="guide-test-key", GOOGLE_GEMINI_BASE_URL=standin.gemini_base_url,
        GOOGLE_VERTEX_BASE_URL=standin.gemini_base_url, AIOBS_OTEL_STRICT="1", **example.env,
    )  # fmt: skip
    runner = [sys.executable, str(SCRIPTS / "run_guide_example.py"), "guide_example.py"]
    done = subprocess.run([*runner, *example.given], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
    warnings = [line for line in done.stderr.splitlines() if line.startswith("aiobs-otel:")]
    assert len(warnings) == len(example.warnings), done.stderr
    assert all(w.startswith(p) for w, p in zip(warnings, example.warnings, strict=True))
    exports = [json.loads(p.read_text()) for p in sorted(cwd.glob("*.json"))]
    return Result(done.stdout, exports)


@pytest.mark.parametrize("key", [k for k, e in EXAMPLES.items() if e.shell is None], ids=str)
def test_a_guide_example_with_only_the_import_changed(
    key: tuple[str, int], standin: StandIn, tmp_path: Path
) -> None:
    original = guide_blocks(guide_text())[key]
    changed = original.replace("from aiobs import", "from aiobs_otel import")
    assert "aiobs." not in changed and "import aiobs\n" not in changed  # nothing else to change
    example = EXAMPLES[key]
    assert example.check is not None
    example.check(run_example(changed, example, standin, tmp_path))


def test_every_block_of_the_guide_is_accounted_for() -> None:
    blocks = guide_blocks(guide_text())
    assert set(blocks) == set(EXAMPLES)
    for key, code in blocks.items():
        try:
            ast.parse(code)
            python = True
        except SyntaxError:
            python = False
        assert python == (EXAMPLES[key].shell is None), key
