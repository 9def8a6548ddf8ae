"""Google Cloud Storage sink (the ``gcs`` extra: ``pip install '.[gcs]'`` in the checkout)."""

from __future__ import annotations

import os
import time
from typing import Any

from ..install_hints import pip_install
from .base import BaseExporter, ExportError, ExportResult
from .encoding import json_bytes
from .models import ObservabilityExport


def _storage_module() -> Any:
    try:
        from google.cloud import storage
    except ImportError as exc:
        # aiobs's own text first (users match on it), then the command for this checkout.
        raise ExportError(
            "google-cloud-storage is required for GCSExporter. "
            "Install it with: pip install google-cloud-storage "
            f"(or the extra: {pip_install('gcs')})",
            exc,
        ) from exc
    return storage


class GCSExporter(BaseExporter):
    """Upload each flush as one JSON object to a GCS bucket.

    Usage::

        from aiobs_otel.exporters import GCSExporter

        exporter = GCSExporter(bucket="my-traces", prefix="runs/", project="my-project")
        result = observer.flush(exporter=exporter)
        result.destination  # "gs://my-traces/runs/<session-id>.json"

    Credentials: ``credentials_path`` (a service-account JSON file) if given,
    otherwise Google's default chain (``GOOGLE_APPLICATION_CREDENTIALS``,
    Application Default Credentials). ``STORAGE_EMULATOR_HOST`` is honoured by
    the client library. ``filename_template`` may use ``{session_id}`` (the
    first session's id), ``{timestamp}`` (epoch seconds) and ``{date}``
    (YYYY-MM-DD); ``flush(exporter=..., filename=...)`` overrides it and
    ``flush(exporter=..., metadata={...})`` sets the object's custom metadata.

    It can be built without google-cloud-storage (as in aiobs); exporting then
    raises :class:`ExportError` naming the extra to install. Upload failures
    raise :class:`ExportError` too.
    """

    name: str = "gcs"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        project: str | None = None,
        credentials_path: str | None = None,
        filename_template: str = "{session_id}.json",
        content_type: str = "application/json",
        *,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise ValueError("GCSExporter needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.project = project
        self.credentials_path = credentials_path
        self.filename_template = filename_template
        self.content_type = content_type
        self._client = client

    @classmethod
    def from_env(
        cls,
        bucket_env: str = "AIOBS_GCS_BUCKET",
        prefix_env: str = "AIOBS_GCS_PREFIX",
        project_env: str = "AIOBS_GCS_PROJECT",
        credentials_env: str = "GOOGLE_APPLICATION_CREDENTIALS",
    ) -> GCSExporter:
        """Build from ``AIOBS_GCS_BUCKET`` (required), ``AIOBS_GCS_PREFIX``,
        ``AIOBS_GCS_PROJECT`` and ``GOOGLE_APPLICATION_CREDENTIALS``."""
        bucket = os.environ.get(bucket_env)
        if not bucket:
            raise ExportError(f"Environment variable {bucket_env} is required for GCSExporter")
        return cls(
            bucket=bucket,
            prefix=os.environ.get(prefix_env, ""),
            project=os.environ.get(project_env) or None,
            credentials_path=os.environ.get(credentials_env) or None,
        )

    def export(self, data: ObservabilityExport, **kwargs: Any) -> ExportResult:
        self.validate(data)
        filename = kwargs.get("filename") or self._filename(data)
        blob_path = f"{self.prefix}{filename}"
        payload = json_bytes(data.model_dump(mode="json"))
        client = self._get_client()  # ExportError naming the extra when it is missing
        try:
            blob = client.bucket(self.bucket).blob(blob_path)
            if kwargs.get("metadata"):
                blob.metadata = kwargs["metadata"]
            blob.upload_from_string(payload, content_type=self.content_type)
        except Exception as exc:
            raise ExportError(
                f"could not upload to gs://{self.bucket}/{blob_path}: {exc}", exc
            ) from exc
        return ExportResult(
            success=True,
            destination=f"gs://{self.bucket}/{blob_path}",
            bytes_written=len(payload),
            metadata={
                "bucket": self.bucket,
                "blob_path": blob_path,
                "content_type": self.content_type,
                "sessions_count": len(data.sessions),
                "events_count": len(data.events),
                "function_events_count": len(data.function_events),
            },
        )

    def _get_client(self) -> Any:
        # Created on first use: building a client resolves credentials, which
        # can touch the network or the metadata server.
        if self._client is None:
            storage = _storage_module()
            if self.credentials_path:
                from google.oauth2 import service_account

                load: Any = service_account.Credentials.from_service_account_file
                credentials = load(self.credentials_path)
                self._client = storage.Client(project=self.project, credentials=credentials)
            else:
                self._client = storage.Client(project=self.project)
        return self._client

    def _filename(self, data: ObservabilityExport) -> str:
        session_id = data.sessions[0].id if data.sessions else "unknown"
        try:
            return self.filename_template.format(
                session_id=session_id, timestamp=int(time.time()), date=time.strftime("%Y-%m-%d")
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise ExportError(
                f"bad filename_template {self.filename_template!r}: use {{session_id}}, "
                "{timestamp} or {date}",
                exc,
            ) from exc
