"""The guard around telemetry code: a bug in it never reaches the user's call.

Every place where our code runs inside an instrumented call catches what it
raises and calls ``report_internal_error``: the user's program goes on, with
less telemetry. Under our own tests (``AIOBS_OTEL_STRICT=1``) the error is
re-raised instead, so a test can never hide a bug.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("aiobs_otel")


def strict() -> bool:
    """Whether internal errors surface (set by the test suite's conftest)."""
    return os.environ.get("AIOBS_OTEL_STRICT") == "1"


def report_internal_error(where: str) -> None:
    """Log the exception being handled; call it from an ``except`` block."""
    if strict():
        raise
    logger.warning(
        "aiobs-otel: internal error in %s; your code still runs, with less telemetry",
        where,
        exc_info=True,
    )
