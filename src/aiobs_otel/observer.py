"""The Observer: sessions, labels and flush, on top of an OpenTelemetry pipeline."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import TracerProvider

from . import instrumenting, pipeline, process_hooks, spans
from . import labels as label_rules
from .evaluations import finish_pending_judgements
from .exporters import shepherd
from .exporters.base import ExportResult, Payload
from .exporters.buffer import Batch, ExportBuffer, max_from_env
from .exporters.conversion import build_index
from .exporters.file import FileExporter
from .exporters.sinks import deliver, report_losses, report_unconvertible
from .exporters.source import ExportSource
from .guard import report_internal_error
from .masking import export_masker
from .providers import ProviderRegistry
from .records import SESSIONS
from .session_labels import SessionLabels
from .sessions import SessionArchive, SessionRecord, SpanStamp

if TYPE_CHECKING:
    from .exporters.models import ObservabilityExport

logger = logging.getLogger("aiobs_otel")


class Observer(SessionLabels):
    """Sessions of LLM observations, written as one ObservabilityExport per flush.

    Usage::

        from aiobs_otel import observer

        observer.observe(session_name="nightly-eval", labels={"team": "ml"})
        ...  # instrumented LLM calls and @observe functions
        observer.end()
        observer.flush()  # ./<session-id>.json, or LLM_OBS_OUT, or path=

    Every observation is an OpenTelemetry span: when an SDK ``TracerProvider``
    is already installed the observer attaches to it; otherwise ``observe()``
    builds one. The first ``observe()`` also switches on the instrumentor of
    every installed provider SDK (see ``instrumenting``).
    """

    def __init__(self, *, tracer_provider: TracerProvider | None = None) -> None:
        self._lock = threading.RLock()
        self._explicit_provider = tracer_provider
        self._provider: TracerProvider | None = None
        self._buffer = ExportBuffer()
        self._sessions: dict[str, SessionRecord] = {}
        self._archive = SessionArchive(on_evict=SESSIONS.forget)
        self._active: SessionRecord | None = None
        # Read on every span start without the lock: replaced, never mutated.
        self._stamp: SpanStamp | None = None
        self._api_key: str | None = None
        self._providers = ProviderRegistry()
        # The session zero-code mode opens for the whole process (see adopt_pipeline).
        self._implicit_id: str | None = None

    # -- sessions ---------------------------------------------------------------
    def observe(
        self,
        session_name: str | None = None,
        api_key: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> str:
        """Start a session (and the pipeline and instrumentation, on first use);
        return its id.

        Raises ``ValueError`` for invalid labels, and for an API key
        (``api_key=`` or ``AIOBS_API_KEY``) that the aiobs service rejects; then
        no session starts. Calling it while a session is active ends that one
        and starts a new one; both are in the next export.
        """
        initial = label_rules.initial_labels(labels)
        key = api_key or os.environ.get("AIOBS_API_KEY") or None
        if key:
            shepherd.validate_key(key)  # before the lock: it waits on the network
        with self._lock:
            self._ensure_pipeline(initial)
            self.end()  # the active session (the implicit one included) ends here
            session = SessionRecord.start(session_name, initial)
            self._sessions[session.id] = session
            SESSIONS.register(session.id, self._buffer)
            self._active = session
            self._stamp = SpanStamp.for_session(session)
            self._api_key = key
        return session.id

    def end(self) -> None:
        """End the active session; its records stay buffered for the next flush."""
        with self._lock:
            if self._active is None:
                return
            if self._active.ended_at is None:
                self._active.ended_at = time.time()
            self._active = None
            self._stamp = None

    @property
    def session_id(self) -> str | None:
        """The active session's id, or None."""
        active = self._active
        return active.id if active else None

    def register_provider(self, provider: Any) -> None:
        """Add a custom provider (aiobs's ``BaseProvider``); installed by ``observe()``."""
        with self._lock:
            self._providers.register(provider)

    # -- flush ------------------------------------------------------------------
    def flush(
        self,
        path: str | None = None,
        include_trace_tree: bool = True,
        exporter: Any = None,
        persist: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Write everything observed since the last flush as one ObservabilityExport.

        Returns the path written, or, with ``exporter=``, that exporter's result
        (``persist=False``: no file, returns None, as in aiobs). The file is
        ``path``, else ``LLM_OBS_OUT`` (with the pid in a forked child), else
        ``<active or first session id>.json``.
        The active session is closed by a flush (as in aiobs): call
        ``observe()`` again to record more. Raises ``OSError`` when the file
        cannot be written; the data then stays for the next flush. Never waits
        on OTLP backends.
        """
        if pipeline.sdk_disabled():
            return None  # OTEL_SDK_DISABLED=true: nothing was recorded, no file
        active_id = self.session_id
        finish_pending_judgements()
        payload, batch, flushed = self._collect(include_trace_tree)
        sink: Any = exporter
        if exporter is None and persist:
            target = (
                path
                or process_hooks.env_output_path()
                or self._default_name(payload.sessions, active_id)
            )
            sink = FileExporter(target)
        try:
            result = deliver(sink, payload, **kwargs) if sink is not None else None
        except BaseException:
            self._restore(batch, flushed)
            raise
        if isinstance(result, ExportResult) and not result.success:
            # A sink that reports failure without raising: keep the data too.
            self._restore(batch, flushed)
            logger.warning(
                "aiobs-otel: exporter %r failed (%s); the data stays for the next flush",
                getattr(exporter, "name", type(exporter).__name__),
                result.error,
            )
            return result
        self._forget(flushed)
        key = self._api_key
        if key:  # usage reporting, the last sink: after the data is safe
            shepherd.ShepherdExporter(key).export_payload(payload)
        if exporter is None and isinstance(result, ExportResult):
            return result.destination
        return result

    def _default_name(self, sessions: list[dict[str, Any]], active_id: str | None) -> str:
        """``<active session id>.json``, else the first session's (the user's
        first, before zero-code's implicit one)."""
        if active_id is not None:
            return f"{active_id}.json"
        ids = [s["id"] for s in sessions]
        ids.sort(key=lambda sid: sid == self._implicit_id)
        return f"{ids[0]}.json" if ids else "llm_observability.json"

    @staticmethod
    def as_model(document: dict[str, Any]) -> ObservabilityExport:
        return Payload(document).model

    def _collect(self, include_trace_tree: bool) -> tuple[Payload, Batch, list[SessionRecord]]:
        """Take the buffer and the sessions; the export is built (or streamed)
        only when a sink asks for it, outside the lock."""
        batch = self._buffer.drain()
        index = build_index(batch.records, batch.bridges, batch.remote_parents)
        with self._lock:
            flushed = list(self._sessions.values())
            self.end()  # a flush closes the session, as in aiobs
            known = {s.id for s in flushed}
            late = [self._archive.get(sid) for sid in index.session_ids - known]
            sessions = flushed + [s for s in late if s is not None]
            if len(sessions) > 1 and self._implicit_id not in index.session_ids:
                # Zero-code's implicit session, empty once the user's own took over.
                sessions = [s for s in sessions if s.id != self._implicit_id]
            session_dicts = [s.as_dict() for s in sessions]
        report_losses(batch)
        # The user's mask (set_mask) applies before any sink sees the export.
        source = ExportSource(index, session_dicts, include_trace_tree, time.time(),
                              on_error=report_unconvertible, transform=export_masker())  # fmt: skip
        return Payload(source=source), batch, flushed

    def _restore(self, batch: Batch, flushed: list[SessionRecord]) -> None:
        self._buffer.restore(batch)
        with self._lock:
            for session in flushed:
                self._sessions.setdefault(session.id, session)

    def _forget(self, flushed: list[SessionRecord]) -> None:
        with self._lock:
            for session in flushed:
                if self._sessions.get(session.id) is session and session is not self._active:
                    del self._sessions[session.id]
                    self._archive.add(session)

    # -- pipeline ---------------------------------------------------------------
    def _ensure_pipeline(self, labels: dict[str, str]) -> None:
        self._buffer.max = max_from_env()  # the environment as it is now
        if self._provider is None:
            try:
                provider = self._explicit_provider or pipeline.ensure_tracer_provider(labels)
                if provider is not None:
                    pipeline.attach(provider, self._current_stamp)
                    self._provider = provider
                    process_hooks.install(self, owns_pipeline=pipeline.built_here(provider))
            except Exception:
                report_internal_error("setting up the OpenTelemetry pipeline")
        if self._provider is not None:
            explicit = self._explicit_provider
            if explicit is not None:
                spans.use_provider(explicit)  # our own spans go where this observer listens
            instrumenting.instrument_installed(
                **({"tracer_provider": explicit} if explicit else {})
            )
            self._providers.install_all()

    def _adopt_pipeline(self, provider: TracerProvider, *, session_name: str) -> str:
        """Zero-code mode: use the provider that opentelemetry-instrument built,
        and open the process's implicit session."""
        with self._lock:
            if self._provider is None:
                pipeline.attach(provider, self._current_stamp)
                self._provider = provider
                process_hooks.install(self, owns_pipeline=True)
        # opentelemetry-instrument switches the instrumentors on (honouring
        # OTEL_PYTHON_DISABLED_INSTRUMENTATIONS); observe() must not.
        instrumenting.leave_to_opentelemetry_instrument()
        session_id = self.observe(session_name=session_name)
        self._implicit_id = session_id
        return session_id

    def _flush_at_exit(self) -> None:
        """At interpreter exit: write what no flush wrote (see ``process_hooks``)."""
        with self._lock:
            pending = self._buffer.buffered
            explicit = [s for s in self._sessions.values() if s.id != self._implicit_id]
        if not pending and not explicit:
            return  # nothing observed (an idle zero-code process writes no file)
        path = self.flush()
        if path is None:
            return
        if self._implicit_id is None:  # observe() without flush(): say so
            logger.warning(
                "aiobs-otel: observations were not flushed before exit; wrote them to %s",
                os.path.abspath(path),
            )
        else:  # zero-code: the write at exit is how the file gets written
            logger.info("aiobs-otel: wrote the ObservabilityExport to %s", os.path.abspath(path))

    def _after_fork(self) -> None:
        """In a forked child: drop the parent's records; the active session
        goes on under a new id with this process's pid."""
        self._lock = threading.RLock()
        self._buffer = ExportBuffer(max_buffered_spans=self._buffer.max)
        self._sessions.clear()
        self._archive.clear()
        active = self._active
        if active is not None:
            session = SessionRecord.start(active.name, dict(active.labels))
            self._sessions[session.id] = session
            SESSIONS.register(session.id, self._buffer)
            self._active = session
            self._stamp = SpanStamp.for_session(session)
            if self._implicit_id == active.id:
                self._implicit_id = session.id

    def _current_stamp(self) -> SpanStamp | None:
        return self._stamp

    @property
    def tracer_provider(self) -> TracerProvider | None:
        return self._provider

    def reset(self) -> None:
        """Forget all sessions, labels and buffered records, switch off what
        ``observe()`` switched on (for tests). The OpenTelemetry pipeline stays:
        providers are set once per process."""
        with self._lock:
            for session_id in list(self._sessions):
                SESSIONS.forget(session_id)
            self._sessions.clear()
            self._archive.clear()
            self._active = None
            self._stamp = None
            self._api_key = None
            self._implicit_id = None
            self._buffer.clear()
            self._providers.uninstall_all()
            SESSIONS.take_outside_count()
            if self._explicit_provider is not None:
                spans.use_provider(None)
        instrumenting.uninstrument_switched_on()
