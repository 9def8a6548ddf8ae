"""GCSExporter: the real google-cloud-storage client against gcp-storage-emulator on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gcp_storage_emulator import server as emulator
from google.cloud import storage

from aiobs_otel import ExportError, ObservabilityExport, Observer, observe
from aiobs_otel.exporters import GCSExporter

# Both come with the dev extra: the tests fail, not skip, when they are missing.

BUCKET = "aiobs-traces"
PROJECT = "test-project"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """One in-memory emulator for the module, on an ephemeral port."""
    for _ in range(5):  # the probed port may be taken again before the server binds it
        port = _free_port()
        server = emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
        try:
            server.start()
        except OSError:
            continue
        break
    else:
        pytest.fail("could not start gcp-storage-emulator")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def gcs(emulator_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A storage client pointed at the emulator (the exporter reads the same variable)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator_url)
    return storage.Client(project=PROJECT)


@observe
def answer(question: str) -> str:
    return question.upper()


def read_json(gcs: Any, blob_path: str) -> dict[str, Any]:
    return dict(json.loads(gcs.bucket(BUCKET).blob(blob_path).download_as_bytes()))


def test_flush_uploads_the_export(observer: Observer, gcs: Any) -> None:
    session_id = observer.observe(session_name="gcs-run", labels={"team": "ml"})
    answer("why")
    exporter = GCSExporter(bucket=BUCKET, prefix="runs", project=PROJECT)
    result = observer.flush(exporter=exporter, metadata={"team": "ml"})

    blob_path = f"runs/{session_id}.json"
    assert result.success and result.destination == f"gs://{BUCKET}/{blob_path}"
    assert result.metadata["function_events_count"] == 1
    document = read_json(gcs, blob_path)
    assert result.bytes_written == len(gcs.bucket(BUCKET).blob(blob_path).download_as_bytes())
    ObservabilityExport.model_validate(document)
    assert [e["result"] for e in document["function_events"]] == ["WHY"]
    assert document["sessions"][0]["labels"]["team"] == "ml"
    blob = gcs.bucket(BUCKET).get_blob(blob_path)
    assert (blob.content_type, blob.metadata) == ("application/json", {"team": "ml"})


def test_filename_template_and_override(gcs: Any) -> None:
    data = ObservabilityExport(sessions=[], events=[], function_events=[], generated_at=1.0)
    exporter = GCSExporter(BUCKET, prefix="daily/", filename_template="{date}/{timestamp}.json")
    before = int(time.time())
    result = exporter.export(data)
    date, stamp = result.metadata["blob_path"].removeprefix("daily/").split("/")
    assert date == time.strftime("%Y-%m-%d")
    assert before <= int(stamp.removesuffix(".json")) <= int(time.time())
    assert (
        exporter.export(data, filename="fixed.json").destination
        == f"gs://{BUCKET}/daily/fixed.json"
    )
    assert read_json(gcs, "daily/fixed.json")["version"] == 1
    with pytest.raises(ExportError, match="filename_template"):
        GCSExporter(BUCKET, filename_template="{run}.json").export(data)


def test_missing_bucket_is_an_export_error_and_keeps_the_data(observer: Observer, gcs: Any) -> None:
    observer.observe()
    answer("kept")
    with pytest.raises(ExportError, match="gs://no-such-bucket/") as raised:
        observer.flush(exporter=GCSExporter("no-such-bucket", project=PROJECT))
    assert raised.value.cause is not None
    result = observer.flush(exporter=GCSExporter(BUCKET, prefix="retry", project=PROJECT))
    assert result.metadata["function_events_count"] == 1


def test_from_env(monkeypatch: pytest.MonkeyPatch, gcs: Any) -> None:
    monkeypatch.setenv("AIOBS_GCS_BUCKET", BUCKET)
    monkeypatch.setenv("AIOBS_GCS_PREFIX", "env-prefix")
    monkeypatch.setenv("AIOBS_GCS_PROJECT", PROJECT)
    exporter = GCSExporter.from_env()
    assert (exporter.bucket, exporter.prefix, exporter.project) == (
        BUCKET,
        "env-prefix/",
        PROJECT,
    )
    monkeypatch.delenv("AIOBS_GCS_BUCKET")
    with pytest.raises(ExportError, match="AIOBS_GCS_BUCKET"):
        GCSExporter.from_env()


def test_without_the_extra_the_message_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    google_cloud = sys.modules["google.cloud"]
    monkeypatch.delattr(google_cloud, "storage")
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)  # as if not installed
    exporter = GCSExporter(bucket=BUCKET)  # builds without the extra, as in aiobs
    data = ObservabilityExport(sessions=[], events=[], generated_at=0.0)
    with pytest.raises(
        ExportError, match=r"^google-cloud-storage is required for GCSExporter"
    ) as info:
        exporter.export(data)
    assert "pip install" in str(info.value) and "[gcs]'" in str(info.value)
    assert isinstance(info.value.cause, ImportError)
