"""Zero-code launch without a backend: the distro's defaults, the labels
resource detector, and apps run under ``opentelemetry-instrument`` writing
the ObservabilityExport file (see test_zero_code_phoenix.py for OTLP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _llm_stub import llm_env, llm_stub, otlp_http_sink
from _zero_code_support import APPS, assert_clean_run, run_instrumented
from aiobs_otel import labels
from aiobs_otel.distro import apply_defaults, default_environment
from aiobs_otel.exporters.models import ObservabilityExport
from aiobs_otel.resource_detector import AiobsLabelsResourceDetector

PLAIN_APP = APPS / "plain_llm_app.py"
OBSERVED_APP = APPS / "observed_app.py"
PLAIN_APIS = ["chat.completions.create", "embeddings.create", "models.generate_content"]


@pytest.fixture(scope="module")
def stub_env() -> Iterator[dict[str, str]]:
    with llm_stub() as url:
        yield llm_env(url)


def read_exports(directory: Path) -> list[dict[str, Any]]:
    documents = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    for document in documents:
        ObservabilityExport.model_validate(document)  # the aiobs schema
    return documents


# -- the distro's defaults ------------------------------------------------------
def test_defaults_without_an_endpoint_keep_everything_local() -> None:
    assert default_environment({}) == {
        "OTEL_TRACES_EXPORTER": "aiobs_json",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "aiobs_labels",
    }


def test_an_endpoint_adds_otlp_for_traces_and_metrics() -> None:
    env = default_environment({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert env["OTEL_TRACES_EXPORTER"] == "aiobs_json,otlp"
    assert env["OTEL_METRICS_EXPORTER"] == "otlp"


def test_a_traces_only_endpoint_sends_no_metrics() -> None:
    env = default_environment({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert env["OTEL_TRACES_EXPORTER"] == "aiobs_json,otlp"
    assert env["OTEL_METRICS_EXPORTER"] == "none"


def test_standard_variables_set_by_the_user_win() -> None:
    environ = {
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "host",
        "OTEL_METRICS_EXPORTER": "",
    }
    apply_defaults(environ)
    assert environ["OTEL_TRACES_EXPORTER"] == "console"
    assert environ["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
    assert environ["OTEL_EXPERIMENTAL_RESOURCE_DETECTORS"] == "host"
    assert environ["OTEL_METRICS_EXPORTER"] == ""  # set, even if empty: the user's choice
    assert environ["OTEL_LOGS_EXPORTER"] == "none"


def test_the_resource_detector_reports_env_and_system_labels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIOBS_LABEL_TEAM", "ml")
    monkeypatch.setenv("AIOBS_LABEL_Bad-Key", "skipped")
    attributes = dict(AiobsLabelsResourceDetector().detect().attributes)
    expected = {f"aiobs.label.{k}": v for k, v in labels.system_labels().items()}
    expected["aiobs.label.team"] = "ml"
    assert attributes == expected


# -- apps under opentelemetry-instrument ----------------------------------------
def test_a_plain_app_gets_its_json_file_at_exit(stub_env: dict[str, str], tmp_path: Path) -> None:
    result = run_instrumented(PLAIN_APP, cwd=tmp_path, env={**stub_env, "AIOBS_LABEL_TEAM": "ml"})
    assert_clean_run(result)
    [document] = read_exports(tmp_path)
    [session] = document["sessions"]
    assert (tmp_path / f"{session['id']}.json").exists()
    assert session["name"] == "plain_llm_app"  # the script, as no service name is set
    assert session["ended_at"] is not None
    assert session["labels"]["team"] == "ml"
    assert session["labels"]["aiobs_os"]
    assert sorted(e["api"] for e in document["events"]) == PLAIN_APIS
    assert {e["session_id"] for e in document["events"]} == {session["id"]}
    assert [n["api"] for n in document["trace_tree"]] == PLAIN_APIS  # three root calls


def test_llm_obs_out_and_the_service_name(stub_env: dict[str, str], tmp_path: Path) -> None:
    env = {**stub_env, "LLM_OBS_OUT": "out/run.json", "OTEL_SERVICE_NAME": "billing-bot"}
    result = run_instrumented(PLAIN_APP, cwd=tmp_path, env=env)
    assert_clean_run(result)
    assert list(tmp_path.glob("*.json")) == []
    [document] = read_exports(tmp_path / "out")
    assert document["sessions"][0]["name"] == "billing-bot"
    assert len(document["events"]) == 3


def test_observe_inside_the_app_reuses_the_pipeline(
    stub_env: dict[str, str], tmp_path: Path
) -> None:
    explicit_path = tmp_path / "flushed" / "explicit.json"
    result = run_instrumented(OBSERVED_APP, str(explicit_path), cwd=tmp_path, env=stub_env)
    assert_clean_run(result)
    [explicit] = read_exports(explicit_path.parent)
    [at_exit] = read_exports(tmp_path)

    implicit, chosen = explicit["sessions"]
    assert implicit["name"] == "observed_app"
    assert implicit["ended_at"] is not None  # ended when observe() took over
    assert (chosen["name"], chosen["labels"]["stage"]) == ("explicit", "eval")
    # one chat call and one @observe function per session: nothing twice
    assert sorted(e["session_id"] for e in explicit["events"]) == sorted(
        [implicit["id"], chosen["id"]]
    )
    functions = {f["span_id"]: f for f in explicit["function_events"]}
    assert len(functions) == 2
    for event in explicit["events"]:
        assert functions[event["parent_span_id"]]["name"] == "answer"

    [late] = at_exit["sessions"]
    assert late["name"] == "after-flush"
    assert [e["session_id"] for e in at_exit["events"]] == [late["id"]]
    ids = [e["span_id"] for d in (explicit, at_exit) for e in d["events"] + d["function_events"]]
    assert len(ids) == len(set(ids)) == 6


def test_standard_exporter_choice_wins(stub_env: dict[str, str], tmp_path: Path) -> None:
    env = {**stub_env, "OTEL_TRACES_EXPORTER": "console"}
    result = run_instrumented(PLAIN_APP, cwd=tmp_path, env=env)
    assert_clean_run(result)
    assert list(tmp_path.glob("*.json")) == []  # no aiobs_json: no file
    assert '"name": "chat gpt-4o-mini"' in result.stdout  # the console exporter's output


def test_disabled_instrumentations_take_our_names(stub_env: dict[str, str], tmp_path: Path) -> None:
    env = {
        **stub_env,
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "aiobs_openai_chat, aiobs_genai_content",
    }
    result = run_instrumented(PLAIN_APP, cwd=tmp_path, env=env)
    assert_clean_run(result)
    [document] = read_exports(tmp_path)
    assert [e["api"] for e in document["events"]] == ["embeddings.create"]


def test_distro_and_configurator_are_selected_by_name(
    stub_env: dict[str, str], tmp_path: Path
) -> None:
    chosen = {
        **stub_env,
        "OTEL_PYTHON_DISTRO": "aiobs_otel",
        "OTEL_PYTHON_CONFIGURATOR": "aiobs_otel",
    }
    assert_clean_run(run_instrumented(PLAIN_APP, cwd=tmp_path / "ours", env=chosen))
    assert len(read_exports(tmp_path / "ours")[0]["events"]) == 3

    # Another configurator chosen: ours stays out, so there is no JSON file.
    other = {**stub_env, "OTEL_PYTHON_CONFIGURATOR": "someone_else"}
    result = run_instrumented(PLAIN_APP, cwd=tmp_path / "other", env=other)
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "other").glob("*.json")) == []


def test_an_endpoint_sends_spans_and_genai_metrics_over_otlp(
    stub_env: dict[str, str], tmp_path: Path
) -> None:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    with otlp_http_sink() as (endpoint, received):
        env = {**stub_env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        assert_clean_run(run_instrumented(PLAIN_APP, cwd=tmp_path, env=env))
    span_names, metric_names = set(), set()
    for path, body in received:
        if path == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                span_names |= {  # ours: with the [http] extra, HTTP spans come too
                    s.name
                    for ss in resource_spans.scope_spans
                    if ss.scope.name.startswith("aiobs_otel")
                    for s in ss.spans
                }
        elif path == "/v1/metrics":
            request = ExportMetricsServiceRequest.FromString(body)
            for resource_metrics in request.resource_metrics:
                metric_names |= {
                    m.name for sm in resource_metrics.scope_metrics for m in sm.metrics
                }
    assert span_names == {
        "chat gpt-4o-mini",
        "embeddings text-embedding-3-small",
        "generate_content gemini-2.0-flash",
    }
    assert {"gen_ai.client.operation.duration", "gen_ai.client.token.usage"} <= metric_names
    assert len(read_exports(tmp_path)[0]["events"]) == 3  # and the file, as always
