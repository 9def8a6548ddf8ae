"""The SQS settings from llmops-observability's variables and ours: defaults,
validation (a bad value is logged and replaced by its default), the region and
endpoint rules, FIFO queues, and when observe() streams at all."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aiobs_otel.exporters.sqs import (
    ProcessDefaults,
    SQSConfig,
    SQSSpanProcessor,
    processor_from_env,
)

AWS_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/llm-traces"


def test_without_aws_sqs_url_nothing_streams() -> None:
    assert SQSConfig.from_env({}) is None
    assert processor_from_env({}) is None


def test_llmops_defaults() -> None:
    config = SQSConfig.from_env({"AWS_SQS_URL": AWS_URL})
    assert config is not None
    assert (config.batch_size, config.batch_timeout, config.workers) == (10, 0.2, 4)
    assert (config.retry_attempts, config.retry_delay) == (3, 0.1)
    assert (config.retry_backoff_multiplier, config.retry_max_delay) == (2.0, 0.5)
    assert config.immediate_max_block_ms == 250
    assert config.max_message_bytes == 262_144 and config.batch_max_bytes == 262_144
    assert config.profile is None and config.endpoint_url is None and not config.fifo


def test_every_variable_is_read() -> None:
    env = {
        "AWS_SQS_URL": "http://127.0.0.1:4566/000000000000/q.fifo",
        "AWS_PROFILE": "team",
        "LLMOPS_SQS_BATCH_SIZE": "4",
        "LLMOPS_SQS_BATCH_TIMEOUT": "0.05",
        "LLMOPS_SQS_WORKER_COUNT": "2",
        "LLMOPS_SQS_RETRY_ATTEMPTS": "5",
        "LLMOPS_SQS_RETRY_DELAY": "0.2",
        "LLMOPS_SQS_RETRY_BACKOFF_MULTIPLIER": "3",
        "LLMOPS_SQS_RETRY_MAX_DELAY": "2",
        "LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS": "100",
        "LLMOPS_SQS_SHUTDOWN_TIMEOUT": "1.5",
        "AIOBS_SQS_MAX_MESSAGE_BYTES": "1048576",
        "AIOBS_SQS_SPILL_DIR": "/var/spool/traces",
        "AIOBS_SQS_SPILL_MAX_BYTES": "1000000",
        "AIOBS_SQS_TRACE_GRACE_MS": "20",
        "AIOBS_SQS_OPEN_TRACE_TIMEOUT": "30",
        "AIOBS_SQS_MAX_BUFFERED_SPANS": "5000",
    }
    config = SQSConfig.from_env(env)
    assert config == SQSConfig(
        queue_url=env["AWS_SQS_URL"], region="us-east-1", profile="team",
        endpoint_url="http://127.0.0.1:4566", batch_size=4, batch_timeout=0.05, workers=2,
        retry_attempts=5, retry_delay=0.2, retry_backoff_multiplier=3.0, retry_max_delay=2.0,
        immediate_max_block_ms=100, shutdown_timeout=1.5, max_message_bytes=1_048_576,
        spill_dir=Path("/var/spool/traces"), spill_max_bytes=1_000_000, trace_grace_ms=20,
        open_trace_timeout=30.0, max_buffered_spans=5000,
    )  # fmt: skip
    assert config.fifo and config.batch_max_bytes == 1_048_576


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLMOPS_SQS_BATCH_SIZE", "11"),  # SQS takes at most 10 per batch
        ("LLMOPS_SQS_BATCH_SIZE", "0"),
        ("LLMOPS_SQS_WORKER_COUNT", "four"),
        ("LLMOPS_SQS_BATCH_TIMEOUT", "nan"),
        ("LLMOPS_SQS_RETRY_ATTEMPTS", "-1"),
        ("LLMOPS_SQS_IMMEDIATE_MAX_BLOCK_MS", "2.5"),
        ("AIOBS_SQS_MAX_MESSAGE_BYTES", "2000000"),  # over SQS's 1 MiB
    ],
)
def test_a_bad_value_is_logged_and_the_default_used(
    name: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    default = SQSConfig.from_env({"AWS_SQS_URL": AWS_URL})
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        config = SQSConfig.from_env({"AWS_SQS_URL": AWS_URL, name: value})
    assert config == default
    (record,) = caplog.records
    assert name in record.getMessage() and repr(value) in record.getMessage()
    assert "using" in record.getMessage()


def test_the_region_is_the_queue_s_own(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="aiobs_otel"):
        config = SQSConfig.from_env({"AWS_SQS_URL": AWS_URL, "AWS_REGION": "us-east-1"})
    assert config is not None and config.region == "eu-west-1"
    assert "eu-west-1" in caplog.text
    legacy = SQSConfig.from_env({"AWS_SQS_URL": "https://ap-south-1.queue.amazonaws.com/1/q"})
    assert legacy is not None and legacy.region == "ap-south-1"
    local = SQSConfig.from_env({"AWS_SQS_URL": "http://localhost:9324/queue/q",
                                "AWS_DEFAULT_REGION": "eu-central-1"})  # fmt: skip
    assert local is not None and local.region == "eu-central-1"
    bare = SQSConfig.from_env({"AWS_SQS_URL": "http://localhost:9324/queue/q"})
    assert bare is not None and bare.region == "us-east-1"  # llmops's default


def test_the_endpoint() -> None:
    """boto3's own variables first; a queue URL that is not AWS's is its own endpoint."""
    assert SQSConfig.from_env({"AWS_SQS_URL": AWS_URL}).endpoint_url is None  # type: ignore[union-attr]
    moto = {"AWS_SQS_URL": "http://127.0.0.1:5000/123456789012/q"}
    assert SQSConfig.from_env(moto).endpoint_url == "http://127.0.0.1:5000"  # type: ignore[union-attr]
    for variable in ("AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"):
        config = SQSConfig.from_env({**moto, variable: "http://proxy:8080"})
        assert config is not None and config.endpoint_url == "http://proxy:8080"


def test_one_spill_directory_per_queue(tmp_path: Path) -> None:
    first = SQSConfig(queue_url=AWS_URL, spill_dir=tmp_path)
    second = SQSConfig(queue_url=AWS_URL + "-2", spill_dir=tmp_path)
    assert first.resolved_spill_dir().parent == tmp_path
    assert first.resolved_spill_dir() != second.resolved_spill_dir()
    assert SQSConfig(queue_url=AWS_URL).resolved_spill_dir().name == first.resolved_spill_dir().name


def test_without_boto3_a_clear_warning_and_no_streaming(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import aiobs_otel.exporters.sqs._processor as processor_module

    real = processor_module.importlib.util.find_spec
    monkeypatch.setattr(processor_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "boto3" else real(name, *a))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="aiobs_otel"):
        assert processor_from_env({"AWS_SQS_URL": AWS_URL}) is None
    assert "pip install 'aiobs-otel[sqs]'" in caplog.text


def test_one_stream_per_queue_and_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """observe() under opentelemetry-instrument with OTEL_TRACES_EXPORTER=...,aiobs_sqs
    must not add a second stream to the same queue."""
    env = {"AWS_SQS_URL": "http://127.0.0.1:9/1/q", "AIOBS_SQS_SPILL_DIR": str(tmp_path)}
    first = processor_from_env(env)
    try:
        assert isinstance(first, SQSSpanProcessor)
        assert processor_from_env(env) is None
        other = processor_from_env({**env, "AWS_SQS_URL": "http://127.0.0.1:9/1/other"})
        assert isinstance(other, SQSSpanProcessor)
        other.shutdown()
    finally:
        assert first is not None
        first.shutdown()
    again = processor_from_env(env)  # the first one is shut down
    assert isinstance(again, SQSSpanProcessor)
    again.shutdown()


@pytest.mark.parametrize(
    ("variables", "resource", "expected"),
    [
        ({}, {}, ("development", "unknown_project")),
        ({"ENV": "uat", "PROJECT_ID": "p1"}, {}, ("uat", "p1")),
        ({"ENV": "uat", "LLMOPS_ENV": "prod", "LLMOPS_PROJECT_ID": "p2", "PROJECT_ID": "p1"}, {},
         ("prod", "p2")),
        ({}, {"deployment.environment.name": "staging"}, ("staging", "unknown_project")),
        ({"ENV": "uat"}, {"deployment.environment.name": "staging"}, ("uat", "unknown_project")),
        ({"ENV": "uat", "PROJECT_ID": "p1"},
         {"aiobs.label.environment": "qa", "aiobs.label.project_id": "from-resource"},
         ("qa", "from-resource")),
    ],
)  # fmt: skip
def test_environment_and_project_precedence(
    variables: dict[str, str], resource: dict[str, str], expected: tuple[str, str]
) -> None:
    """Trace labels > Resource labels > LLMOPS_ENV > ENV > deployment.environment.name >
    llmops's defaults (the README table)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from aiobs_otel.exporters.sqs._trace import COMPLETE, trace_document

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(resource), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("root"):
        pass
    defaults = ProcessDefaults.from_env(variables)
    document = trace_document(memory.get_finished_spans(), segment=COMPLETE, defaults=defaults)
    assert (document["environment"], document["project_id"]) == expected
    assert (document["spans"][0]["metadata"]["environment"],
            document["spans"][0]["metadata"]["project_id"]) == expected  # fmt: skip
    # A label on the trace's root wins over everything.
    with provider.get_tracer("t").start_as_current_span(
        "root", attributes={"aiobs.label.environment": "from-label"}
    ):
        pass
    labelled = trace_document(memory.get_finished_spans()[-1:], segment=COMPLETE,
                              defaults=defaults)  # fmt: skip
    assert labelled["environment"] == "from-label"
