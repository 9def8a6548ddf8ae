"""An aiobs user's existing tests of their own pipeline (``aiobs015/user_pipeline_tests.py``,
written against aiobs 0.1.5's shapes) pass under aiobs 0.1.5 and, with only the
import changed, under aiobs-otel.

Both runs use pytest in their own venv, the real clients against the
provider stand-in, and an API key (aiobs 0.1.5 requires one; its usage
service is a loopback stub, which aiobs 0.1.5 finds through a ``conftest.py``
that sets its URL constant, and aiobs-otel through ``AIOBS_SHEPHERD_URL``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from _aiobs015 import SCRIPTS, clean_env, our_python, reference_python, run, shepherd_stub
from aiobs_otel.demo import StandIn

SUITE = SCRIPTS / "user_pipeline_tests.py"
AIOBS_CONFTEST = """\
import os

import aiobs.collector

aiobs.collector.SHEPHERD_SERVER_URL = os.environ["SHEPHERD_URL"]  # the loopback stub
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with StandIn() as standin, shepherd_stub() as shepherd:
        yield clean_env(
            shepherd.url,
            OPENAI_BASE_URL=standin.openai_base_url,
            OPENAI_API_KEY="sk-user-suite",
            GOOGLE_API_KEY="user-suite-key",
            GOOGLE_GEMINI_BASE_URL=standin.gemini_base_url,
        )


def run_suite(python: str, directory: Path, env: dict[str, str]) -> str:
    done = run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "."], env, directory)
    return done.stdout


def test_the_suite_passes_under_aiobs_015(servers: dict[str, str], tmp_path: Path) -> None:
    shutil.copy(SUITE, tmp_path / "test_my_pipeline.py")
    (tmp_path / "conftest.py").write_text(AIOBS_CONFTEST)
    assert "5 passed" in run_suite(reference_python(), tmp_path, servers)


def test_the_suite_passes_under_aiobs_otel(servers: dict[str, str], tmp_path: Path) -> None:
    source = SUITE.read_text(encoding="utf-8")
    moved = source.replace("from aiobs import", "from aiobs_otel import")
    assert moved.count("aiobs_otel") == 1  # the import line, nothing else
    (tmp_path / "test_my_pipeline.py").write_text(moved)
    assert "5 passed" in run_suite(our_python(), tmp_path, {**servers, "AIOBS_OTEL_STRICT": "1"})
