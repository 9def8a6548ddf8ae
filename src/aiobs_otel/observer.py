"""The Observer: sessions, labels and flush, on top of an OpenTelemetry pipeline."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import TracerProvider

from . import _pipeline
from . import labels as label_rules
from ._safe import report_internal_error
from ._sessions import SessionArchive, SessionRecord, SpanStamp
from .exporters import shepherd
from .exporters._convert import Conversion, assemble, convert_spans
from .exporters._files import write_json_atomic
from .exporters.base import ExportError
from .exporters.json_exporter import ObservabilityExportSpanExporter, SpanBatch

if TYPE_CHECKING:
    from .exporters.models import ObservabilityExport

logger = logging.getLogger("aiobs_otel")


class Observer:
    """Sessions of LLM observations, written as one ObservabilityExport per flush.

    Usage::

        from aiobs_otel import observer

        observer.observe(session_name="nightly-eval", labels={"team": "ml"})
        ...  # instrumented LLM calls and @observe functions
        observer.end()
        observer.flush()  # ./<session-id>.json, or LLM_OBS_OUT, or path=

    Every observation is an OpenTelemetry span: when an SDK ``TracerProvider``
    is already installed the observer attaches to it; otherwise ``observe()``
    builds one (with OTLP export when ``OTEL_EXPORTER_OTLP_*`` is set).
    """

    def __init__(self, *, tracer_provider: TracerProvider | None = None) -> None:
        self._lock = threading.RLock()
        self._explicit_provider = tracer_provider
        self._provider: TracerProvider | None = None
        self._exporter: ObservabilityExportSpanExporter | None = None
        self._sessions: dict[str, SessionRecord] = {}
        self._archive = SessionArchive()
        self._active: SessionRecord | None = None
        # Read on every span start without the lock: replaced, never mutated.
        self._stamp: SpanStamp | None = None
        self._api_key: str | None = None
        # The session zero-code mode opens for the whole process (see adopt_pipeline).
        self._implicit_id: str | None = None

    # -- sessions ---------------------------------------------------------------
    def observe(
        self,
        session_name: str | None = None,
        api_key: str | None = None,
        labels: dict[str, str] | None = None,
    ) -> str:
        """Start a session (and the pipeline, on first use); return its id.

        Raises ``ValueError`` for invalid labels, and for an API key
        (``api_key=`` or ``AIOBS_API_KEY``) that the aiobs service rejects; then
        no session starts. Calling it while a session is active ends that one
        and starts a new one; both are in the next export.
        """
        initial = label_rules.initial_labels(labels)
        key = api_key or os.environ.get("AIOBS_API_KEY") or None
        self._check_api_key(key)  # before the lock: it waits on the network
        with self._lock:
            self._ensure_pipeline(initial)
            # A new session ends the active one (the process's implicit session
            # included); both are in the next export.
            self.end()
            session = SessionRecord.start(session_name, initial)
            self._sessions[session.id] = session
            self._active = session
            self._stamp = SpanStamp.for_session(session)
            self._api_key = key
        return session.id

    def _check_api_key(self, api_key: str | None) -> None:
        """Validate the key with the shepherd service; without one, stay offline."""
        if api_key:
            shepherd.validate_key(api_key)

    def end(self) -> None:
        """End the active session; its spans stay buffered for the next flush."""
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

    # -- labels -----------------------------------------------------------------
    def add_label(self, key: str, value: str) -> None:
        label_rules.validate_key(key)
        label_rules.validate_value(key, value)
        self._update_labels(lambda current: {**current, key: value})

    def set_labels(self, labels: dict[str, str], merge: bool = True) -> None:
        """Merge ``labels`` into the session's, or (``merge=False``) replace all
        user labels; system labels are kept either way."""
        checked = label_rules.validate_labels(labels)

        def update(current: dict[str, str]) -> dict[str, str]:
            if merge:
                return {**current, **checked}
            system = {k: v for k, v in current.items() if k.startswith(label_rules.RESERVED_PREFIX)}
            return {**system, **checked}

        self._update_labels(update)

    def remove_label(self, key: str) -> None:
        label_rules.validate_key(key)
        self._update_labels(lambda current: {k: v for k, v in current.items() if k != key})

    def get_labels(self) -> dict[str, str]:
        with self._lock:
            return dict(self._require_session().labels)

    def _update_labels(self, change: Any) -> None:
        with self._lock:
            session = self._require_session()
            new = change(session.labels)
            user = {k: v for k, v in new.items() if not k.startswith(label_rules.RESERVED_PREFIX)}
            label_rules.check_count(user)
            session.labels = new
            self._stamp = SpanStamp.for_session(session)

    def _require_session(self) -> SessionRecord:
        if self._active is None:
            raise RuntimeError("no active session: call observer.observe() first")
        return self._active

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
        ``path``, else ``LLM_OBS_OUT``, else ``<active or first session id>.json``.
        The active session is closed by a flush (as in aiobs): call
        ``observe()`` again to record more. Raises ``OSError`` when the file
        cannot be written; the data then stays for the next flush.
        """
        active_id = self.session_id
        document, batch, flushed = self._collect(include_trace_tree)
        result: Any = None
        try:
            if exporter is not None:
                result = self._export_with(exporter, document, **kwargs)
            elif persist:
                target = (
                    path
                    or os.environ.get("LLM_OBS_OUT")
                    or self._default_filename(document, active_id)
                )
                try:
                    write_json_atomic(target, document)
                except OSError as exc:
                    raise OSError(
                        exc.errno, f"cannot write the export to {target!r}: {exc.strerror or exc}"
                    ) from exc
                result = target
        except BaseException:
            self._restore(batch, flushed)
            raise
        if exporter is not None and getattr(result, "success", True) is False:
            # A sink that reports failure without raising: keep the data too.
            self._restore(batch, flushed)
            logger.warning(
                "aiobs-otel: exporter %r failed (%s); the data stays for the next flush",
                getattr(exporter, "name", type(exporter).__name__),
                getattr(result, "error", None),
            )
            return result
        self._forget(flushed)
        self._after_flush(document)
        return result

    def _export_with(self, exporter: Any, document: dict[str, Any], **kwargs: Any) -> Any:
        """Hand the export to a sink. A failure reaches the caller as
        ExportError (anything else it raises becomes its ``cause``) and, like
        a failed file write, leaves the data buffered for the next flush."""
        try:
            return exporter.export(self.as_model(document), **kwargs)
        except ExportError:
            raise
        except Exception as exc:
            name = getattr(exporter, "name", type(exporter).__name__)
            raise ExportError(f"exporter {name!r} failed: {exc}", exc) from exc

    def _after_flush(self, document: dict[str, Any]) -> None:
        """Upload and count the flushed data when an API key is set. Runs after
        the data is safe (file written or exporter done) and outside the lock;
        a rejected key raises ValueError, other service trouble only logs."""
        key = self._api_key
        if key:
            shepherd.report_flush(key, document)

    @staticmethod
    def as_model(document: dict[str, Any]) -> ObservabilityExport:
        from .exporters.models import ObservabilityExport

        return ObservabilityExport.model_validate(document)

    def _collect(
        self, include_trace_tree: bool
    ) -> tuple[dict[str, Any], SpanBatch, list[SessionRecord]]:
        exporter = self._exporter
        if exporter is not None:
            self._force_flush_upstream(exporter)
        batch = exporter.drain() if exporter is not None else SpanBatch([], {})
        conversion = convert_spans(batch.spans, batch.bridges, _report_unconvertible)
        with self._lock:
            flushed = list(self._sessions.values())
            if self._active is not None:
                # A flush closes the session, as in aiobs.
                self.end()
            known = {s.id for s in flushed}
            late = [self._archive.get(sid) for sid in conversion.session_ids - known]
            sessions = flushed + [s for s in late if s is not None]
            document = assemble(
                conversion,
                [s.as_dict() for s in sessions],
                include_trace_tree=include_trace_tree,
            )
        _report_losses(batch, conversion)
        return document, batch, flushed

    def _force_flush_upstream(self, exporter: ObservabilityExportSpanExporter) -> None:
        """A JSON exporter behind someone else's batch processor (zero-code mode)
        only sees spans once that processor hands them over."""
        if not exporter.fed_directly and self._provider is not None:
            self._provider.force_flush(5000)

    def _restore(self, batch: SpanBatch, flushed: list[SessionRecord]) -> None:
        if self._exporter is not None:
            self._exporter.restore(batch)
        with self._lock:
            for session in flushed:
                self._sessions.setdefault(session.id, session)

    def _forget(self, flushed: list[SessionRecord]) -> None:
        with self._lock:
            for session in flushed:
                if self._sessions.get(session.id) is session and session is not self._active:
                    del self._sessions[session.id]
                    self._archive.add(session)

    def _default_filename(self, document: dict[str, Any], active_id: str | None) -> str:
        if active_id is not None:
            return f"{active_id}.json"
        sessions = document["sessions"]
        return f"{sessions[0]['id']}.json" if sessions else "llm_observability.json"

    # -- pipeline ---------------------------------------------------------------
    def _ensure_pipeline(self, labels: dict[str, str]) -> None:
        if self._exporter is not None:
            return
        try:
            provider = self._explicit_provider or _pipeline.ensure_tracer_provider(labels)
            if provider is None:
                return
            self._exporter = _pipeline.attach(provider, self._current_stamp)
            self._provider = provider
        except Exception:
            report_internal_error("setting up the OpenTelemetry pipeline")

    def _adopt_pipeline(
        self,
        provider: TracerProvider,
        exporter: ObservabilityExportSpanExporter | None,
        *,
        session_name: str,
    ) -> str:
        """Zero-code mode: use the provider (and JSON exporter) that
        opentelemetry-instrument built, and open the process's implicit session."""
        with self._lock:
            if self._exporter is None:
                self._exporter = _pipeline.attach(provider, self._current_stamp, exporter)
                self._provider = provider
        session_id = self.observe(session_name=session_name)
        self._implicit_id = session_id
        return session_id

    def _flush_at_shutdown(self, exporter: ObservabilityExportSpanExporter) -> str | None:
        """Write what the last flush left behind, when the process's provider
        shuts down; None when there is nothing (or the exporter is not ours)."""
        with self._lock:
            if self._exporter is not exporter or not self._sessions:
                return None
        result: str = self.flush()
        return result

    def _current_stamp(self) -> SpanStamp | None:
        return self._stamp

    @property
    def tracer_provider(self) -> TracerProvider | None:
        return self._provider

    def reset(self) -> None:
        """Forget all sessions, labels and buffered spans (for tests). The
        OpenTelemetry pipeline stays: providers are set once per process."""
        with self._lock:
            self._sessions.clear()
            self._archive.clear()
            self._active = None
            self._stamp = None
            self._api_key = None
            self._implicit_id = None
            if self._exporter is not None:
                self._exporter.clear()


def _report_unconvertible(span_name: str) -> None:
    try:
        raise RuntimeError(f"span {span_name!r} could not be converted to an event")
    except RuntimeError:
        report_internal_error("the ObservabilityExport conversion")


def _report_losses(batch: SpanBatch, conversion: Conversion) -> None:
    if batch.dropped:
        logger.warning(
            "aiobs-otel: %d spans were dropped since the last flush (buffer full); "
            "raise AIOBS_MAX_BUFFERED_SPANS or flush more often",
            batch.dropped,
        )
    outside = batch.outside_session + conversion.without_session
    if outside:
        logger.warning(
            "aiobs-otel: %d spans finished outside any observe() session and are not in "
            "this export (they still went to any OTLP backend)",
            outside,
        )
