"""The pip command that installs one of our extras, as it can be typed here.

The package is installed from its checkout (it is not published on a package
index), so the hint names the checkout when we run from one:
``pip install '/path/to/aiobs-otel[gcs]'``.
"""

from __future__ import annotations

import os
import shlex
import sys


def pip_install(extras: str) -> str:
    """``python -m pip install '<checkout>[extras]'`` for this interpreter."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = (
        f"{root}[{extras}]"
        if os.path.exists(os.path.join(root, "pyproject.toml"))
        else (f"aiobs-otel[{extras}]")
    )
    return f"{shlex.quote(sys.executable)} -m pip install {shlex.quote(target)}"
