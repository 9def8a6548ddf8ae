"""The observer at the edges of the process: interpreter exit and fork.

* **Exit** (normal exit, or an uncaught exception; not SIGKILL, ``os._exit``
  or an unhandled signal): observations not yet flushed are written as a
  flush would write them, and a log line says where
  (``AIOBS_FLUSH_AT_EXIT=false`` turns it off). Then the pipelines we built
  (``observe()``'s, or zero-code's) drain their OTLP traces and metrics
  concurrently, for at most ``AIOBS_EXIT_TIMEOUT`` seconds (default 5): a
  black-holed backend delays the exit by that much, no more, and the JSON
  file is already written.
* **Fork**: a child process starts with an empty buffer and its own session
  (same name and labels, a new id, its own pid), so two processes never
  write the same file and nothing is exported twice. ``LLM_OBS_OUT`` names
  one file for one process: in a forked child it gets the child's pid before
  its extension (``run.json`` -> ``run.4242.json``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any, Protocol

from opentelemetry import metrics, trace

from . import env

logger = logging.getLogger("aiobs_otel")

FLUSH_AT_EXIT_ENV = "AIOBS_FLUSH_AT_EXIT"
EXIT_TIMEOUT_ENV = "AIOBS_EXIT_TIMEOUT"
DEFAULT_EXIT_TIMEOUT = 5.0


class ObserverHooks(Protocol):
    """What the hooks call on the observer."""

    def _flush_at_exit(self) -> None: ...

    def _after_fork(self) -> None: ...


_installed: set[int] = set()
_lock = threading.Lock()
_forked = False  # this process is a fork of one that observed


def install(observer: ObserverHooks, *, owns_pipeline: bool) -> None:
    """Register the exit and fork hooks for ``observer``, once. Call it after the
    tracer provider exists: exit hooks run last-registered first, so ours runs
    before the SDK's own shutdown and the file is written before OTLP drains."""
    with _lock:
        if id(observer) in _installed:
            return
        _installed.add(id(observer))
    atexit.register(_at_exit, observer, owns_pipeline)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=observer._after_fork)
        os.register_at_fork(after_in_child=_mark_forked)


def _mark_forked() -> None:
    global _forked
    _forked = True


def env_output_path() -> str | None:
    """``LLM_OBS_OUT``, with the pid in a forked child (see the module doc)."""
    path = os.environ.get("LLM_OBS_OUT") or None
    if path is None or not _forked:
        return path
    root, extension = os.path.splitext(path)
    return f"{root}.{os.getpid()}{extension}"


def exit_timeout() -> float:
    return env.number(EXIT_TIMEOUT_ENV, DEFAULT_EXIT_TIMEOUT, minimum=0)


def _at_exit(observer: ObserverHooks, owns_pipeline: bool) -> None:
    started = time.monotonic()  # the write below counts against the timeout too
    try:
        if env.flag(FLUSH_AT_EXIT_ENV, True):
            observer._flush_at_exit()
    except Exception:
        logger.warning("aiobs-otel: writing the export at exit failed", exc_info=True)
    if owns_pipeline:
        timeout = exit_timeout()
        shutdown_within(max(0.0, timeout - (time.monotonic() - started)), reported=timeout)


def shutdown_within(seconds: float, *, reported: float | None = None) -> bool:
    """Shut down the global tracer, meter and logger providers concurrently;
    wait at most ``seconds`` (``reported``: the timeout the warning names).
    True when all finished in time."""
    providers: list[Any] = [trace.get_tracer_provider(), metrics.get_meter_provider()]
    try:
        from opentelemetry import _logs

        providers.append(_logs.get_logger_provider())
    except ImportError:  # pragma: no cover - every supported SDK has the logs API
        pass
    threads = []
    for provider in providers:
        shutdown = getattr(provider, "shutdown", None)
        if shutdown is None or not hasattr(provider, "force_flush"):
            continue  # the API's no-op and proxy providers
        # Its own exit hook would run the same shutdown again after ours
        # (waiting on the same stuck export); ours is the one that is bounded.
        atexit.unregister(shutdown)
        thread = threading.Thread(target=_quietly, args=(shutdown,), daemon=True,
                                  name="aiobs-otel-exit")  # fmt: skip
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + max(0.0, seconds)
    for thread in threads:  # one deadline for all: they drain side by side
        thread.join(max(0.0, deadline - time.monotonic()))
    late = [t for t in threads if t.is_alive()]
    if late:
        logger.warning(
            "aiobs-otel: the OpenTelemetry exporters did not finish within %gs at exit "
            "(is the OTLP endpoint reachable?); what they still held is lost. The JSON "
            "file is complete. Raise %s to wait longer.",
            seconds if reported is None else reported,
            EXIT_TIMEOUT_ENV,
        )
    return not late


def _quietly(shutdown: Any) -> None:
    try:
        shutdown()
    except Exception:
        logger.debug("aiobs-otel: a provider's shutdown failed at exit", exc_info=True)
