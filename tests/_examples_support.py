"""Running ``examples/<name>.py`` as a user would: in its own process, offline
against the provider stand-in (``AIOBS_EXAMPLES_STANDIN=1``), with nothing
inherited from the developer's shell but what the test passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _zero_code_support import REPO, assert_clean_run
from aiobs_otel.exporters.models import ObservabilityExport

EXAMPLES = REPO / "examples"
# Keys, endpoints and OTel settings of the developer's shell must not leak in:
# with OPENAI_API_KEY set, a broken stand-in switch would reach the real API.
_NOT_INHERITED = ("AIOBS_", "OTEL_", "LLM_OBS_OUT", "OPENAI_", "GEMINI_", "GOOGLE_")


def run_example(
    name: str, tmp_path: Path, *args: str, **env: str
) -> tuple[ObservabilityExport, str]:
    """``python examples/<name>.py [args]`` in tmp_path; returns the export and stdout."""
    out = tmp_path / "export.json"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    clean.update(AIOBS_EXAMPLES_STANDIN="1", AIOBS_OTEL_STRICT="1", LLM_OBS_OUT=str(out), **env)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert_clean_run(result)
    assert f"Export written to {out}" in result.stdout  # each example says where
    return ObservabilityExport.model_validate(json.loads(out.read_text())), result.stdout


def response(event: Any) -> dict[str, Any]:
    assert event.error is None and event.response is not None, event
    return dict(event.response)
