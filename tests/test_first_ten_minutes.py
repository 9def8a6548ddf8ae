"""The first ten minutes: commands that README.md, examples/README.md and the
demo print work as printed, from a shell where no venv is activated.

Each test works in a temp directory that holds the checkout's ``.venv`` and
``examples`` (symlinks), so relative commands such as ``.venv/bin/python
examples/simple_chat.py`` mean what they mean in the checkout, and the files
they write land in the temp directory.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _zero_code_support import REPO
from aiobs_otel.install_hints import pip_install

VENV = Path(sys.executable).parent.parent
_NOT_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_", "VIRTUAL_ENV")


def plain_shell_env() -> dict[str, str]:
    """The environment of a new terminal: no venv on PATH, no keys, no settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    venv_bin = os.path.realpath(VENV / "bin")
    paths = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join(p for p in paths if p and os.path.realpath(p) != venv_bin)
    env["AIOBS_OTEL_STRICT"] = "1"
    return env


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / ".venv").symlink_to(VENV)
    (tmp_path / "examples").symlink_to(REPO / "examples")
    return tmp_path


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, f"$ {command}\n{done.stdout}\n{done.stderr}"
    return done


def test_the_command_the_demo_prints_runs_as_printed(checkout: Path) -> None:
    env = plain_shell_env()
    assert shell("command -v aiobs-otel || true", checkout, env).stdout == ""  # not on PATH
    # what scripts/demo.sh runs, from the checkout's root
    demo = shell(".venv/bin/python -m aiobs_otel demo --out demo.json", checkout, env)
    (printed,) = re.findall(r"Open it as a page: (.+)", demo.stdout)
    assert printed == ".venv/bin/aiobs-otel view demo.json --html trace.html"
    assert "Wrote trace.html" in shell(printed, checkout, env).stdout
    assert "<html" in (checkout / "trace.html").read_text(encoding="utf-8")


def test_the_demo_command_also_runs_from_elsewhere(checkout: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = plain_shell_env()
    demo = shell(f"{checkout}/.venv/bin/aiobs-otel demo --out run.json", elsewhere, env)
    (printed,) = re.findall(r"Open it as a page: (.+)", demo.stdout)
    shell(printed, elsewhere, env)
    assert (elsewhere / "trace.html").exists()


@pytest.mark.parametrize("extras", ["gcs", "view", "openai,gemini,view"])
def test_the_pip_hints_name_paths_that_exist(extras: str) -> None:
    python, dash_m, pip, install, target = shlex.split(pip_install(extras))
    assert (dash_m, pip, install) == ("-m", "pip", "install")
    assert os.access(python, os.X_OK)
    checkout, _, wanted = target.partition("[")
    assert wanted == f"{extras}]"
    assert (Path(checkout) / "pyproject.toml").is_file()


def _bash_blocks(markdown: Path) -> dict[str, list[str]]:
    """Each ``bash`` block, by the ``##`` heading it stands under."""
    text = markdown.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        heading = section.splitlines()[0]
        for block in re.findall(r"```bash\n(.*?)```", section, re.S):
            found[heading] = block.strip().splitlines()
    return found


def test_the_examples_readme_offline_commands_run_as_printed(checkout: Path) -> None:
    blocks = _bash_blocks(REPO / "examples" / "README.md")
    offline = blocks["Without keys or network: one variable"]
    zero_code = blocks["Zero-code"]
    env, printed = plain_shell_env(), ""
    for line in offline:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
            continue
        if "<the file it printed>" in line:  # what the reader does with the placeholder
            line = line.replace("<the file it printed>", shlex.quote(printed))
        output = shell(line, checkout, env).stdout
        printed = re.findall(r"Export written to (.+)", output)[-1] if "examples/" in line else ""
        if "view" in line:
            assert "pipeline()" in output  # the tree of the export the pipeline wrote
    (command,) = zero_code
    shell(command, checkout, plain_shell_env())
    exports = sorted(p.name for p in checkout.glob("*.json"))
    assert len(exports) == 3  # simple_chat, pipeline, and the zero-code app's at exit


def test_the_examples_readme_agent_and_embeddings_commands_run_as_printed(
    checkout: Path,
) -> None:
    lines = _bash_blocks(REPO / "examples" / "README.md")[
        "An agent loop on the Responses API, a Gemini embeddings batch"
    ]
    assert lines[0] == "export AIOBS_EXAMPLES_STANDIN=1" and len(lines) == 5, lines
    env, printed, views = plain_shell_env(), "", []
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
            continue
        line = line.replace("<the file it printed>", shlex.quote(printed))
        output = shell(line, checkout, env).stdout
        if "examples/" in line:
            printed = re.findall(r"Export written to (.+)", output)[-1]
        else:
            views.append(output)
    agent, embeddings = views
    assert "weather_agent() [agent]" in agent and "get_weather() [tool]" in agent
    assert agent.count("openai responses.create") == 2
    assert "gemini models.embed_content  gemini-embedding-001" in embeddings
    assert len(list(checkout.glob("*.json"))) == 2


def _python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    # blocks inside list items are indented
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", text, re.S)]


def test_the_readme_python_imports_work() -> None:
    imports = [
        ast.unparse(node)
        for block in _python_blocks()
        for node in ast.walk(ast.parse(block))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiobs_otel")
    ]
    assert len(imports) >= 4
    done = subprocess.run([sys.executable, "-c", "\n".join(imports)], capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr


def _standin_exports(process: subprocess.Popen[str]) -> dict[str, str]:
    """The variables ``aiobs-otel standin`` prints, read as a user copies them."""
    assert process.stdout is not None
    variables: dict[str, str] = {}
    while "GOOGLE_API_KEY" not in variables:
        line = process.stdout.readline()
        assert line, "aiobs-otel standin ended before printing its variables"
        if line.strip().startswith("export "):
            for pair in shlex.split(line.strip())[1:]:
                name, _, value = pair.partition("=")
                variables[name] = value
    return variables


def test_the_readme_first_snippet_writes_its_export(checkout: Path) -> None:
    """Quick start as a user without a key runs it: the stand-in the README
    names, its printed variables, then the snippet; the chat call is recorded
    with nothing else to do."""
    first = _python_blocks()[0]
    command = [str(checkout / ".venv/bin/aiobs-otel"), "standin", "--port", "0"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=plain_shell_env()
    ) as standin:
        try:
            variables = _standin_exports(standin)
            done = subprocess.run([str(checkout / ".venv/bin/python"), "-c", first], cwd=checkout,
                                  env=plain_shell_env() | variables,
                                  capture_output=True, text=True, timeout=60)  # fmt: skip
        finally:
            standin.terminate()
    assert done.returncode == 0, done.stderr
    (written,) = checkout.glob("*.json")
    assert (checkout / done.stdout.strip()).resolve() == written.resolve()  # flush() named it
    export = json.loads(written.read_text(encoding="utf-8"))
    (function,) = export["function_events"]
    assert function["name"] == "research"
    (chat,) = export["events"]
    assert chat["provider"] == "openai" and chat["api"] == "chat.completions.create"
    assert chat["response"]["text"]
    assert export["sessions"][0]["name"] == "my-pipeline"


def test_the_examples_readme_sqs_commands_run_as_printed(checkout: Path) -> None:
    """The SQS recipe, line by line as printed (the install line is the one
    scripts/test.sh runs already; running it again here would reinstall)."""
    lines = _bash_blocks(REPO / "examples" / "README.md")["SQS: a consumer against a local queue"]
    install, *steps = lines
    assert install.startswith(".venv/bin/pip install")
    # the background server is stopped however the steps end (it holds the pipes)
    script = "\n".join(["set -e", "trap 'kill $! 2>/dev/null' EXIT", *steps])
    done = shell(script, checkout, plain_shell_env() | {"AIOBS_OTEL_STRICT": "0"})
    assert "pipeline" in done.stdout  # the consumer printed the pipeline trace
    assert list((checkout / "traces").glob("*.json"))
