"""Two real services on 127.0.0.1 (uvicorn, each in its own process with its
own service.name): A's handler asks an LLM and then B over httpx; B asks an
LLM too. One trace across both, in the JSON exports, in the OTLP payload and
in Arize Phoenix (the OTLP receiver forwards what it accepts to it), with the
secrets A sends B (a query token, an Authorization header, a JSON password)
redacted everywhere."""

from __future__ import annotations

import contextlib
import io
import json
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _http_support import (
    SECRET_BEARER,
    SECRET_PASSWORD,
    SECRET_TOKEN,
    OtlpSpan,
    ServiceProcess,
    assert_no_secrets,
    decode_spans,
    otlp_receiver,
)
from _zero_code_support import APPS, PhoenixServer
from aiobs_otel.demo import StandIn

pytest_plugins = ("phoenix_fixtures",)  # one Phoenix for the session

SERVER, CLIENT = 2, 3  # OTLP span kinds
CAPTURE_EVERY_HEADER = {
    f"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{side}": ".*"
    for side in ("CLIENT_REQUEST", "CLIENT_RESPONSE", "SERVER_REQUEST", "SERVER_RESPONSE")
}


@dataclass
class Run:
    project: str
    a: dict[str, Any]  # service A's JSON export
    b: dict[str, Any]
    otlp: list[OtlpSpan]
    payload: bytes  # every OTLP body, concatenated
    reply: dict[str, Any]


def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


@pytest.fixture(scope="module")
def run(phoenix: PhoenixServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    workdir = tmp_path_factory.mktemp("services")
    project = f"services-{uuid.uuid4().hex[:8]}"
    with StandIn() as standin, otlp_receiver(forward_to=phoenix.base_url) as (endpoint, received):
        common = {
            **CAPTURE_EVERY_HEADER,
            "OPENAI_BASE_URL": standin.openai_base_url,
            "OPENAI_API_KEY": "sk-services-not-a-real-key",
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
            "TEST_TOKEN": SECRET_TOKEN,
            "TEST_BEARER": SECRET_BEARER,
            "TEST_PASSWORD": SECRET_PASSWORD,
        }
        b = ServiceProcess(
            APPS / "http_service.py",
            {**common, "OTEL_SERVICE_NAME": "service-b", "EXPORT_PATH": str(workdir / "b.json")},
            workdir / "b.log",
        )
        try:
            a = ServiceProcess(
                APPS / "http_service.py",
                {
                    **common,
                    "OTEL_SERVICE_NAME": "service-a",
                    "EXPORT_PATH": str(workdir / "a.json"),
                    "DOWNSTREAM_URL": b.url,
                },
                workdir / "a.log",
            )
            try:
                b.wait_ready()
                a.wait_ready()
                reply = post(
                    f"{a.url}/ask?token={SECRET_TOKEN}",
                    {"question": "What is an API?", "password": SECRET_PASSWORD},
                    {"Authorization": SECRET_BEARER, "x-user-id": "alice"},
                )
                for service in (a, b):
                    post(f"{service.url}/flush", {})
            finally:
                a.stop()
        finally:
            b.stop()
        for service in (a, b):
            assert "Traceback" not in service.output(), service.output()
        yield Run(
            project=project,
            a=json.loads((workdir / "a.json").read_text()),
            b=json.loads((workdir / "b.json").read_text()),
            otlp=decode_spans(received),
            payload=b"".join(body for _, body in received),
            reply=reply,
        )


def by_service(run: Run, service: str) -> list[OtlpSpan]:
    return [s for s in run.otlp if s.service == service]


def call_to_b(run: Run) -> OtlpSpan:
    """A's httpx span of its call to B (below the @track_external_service span)."""
    external = next(s for s in run.otlp if s.name == "service-b ask_downstream")
    [span] = [
        s
        for s in by_service(run, "service-a")
        if s.kind == CLIENT and s.parent_span_id == external.span_id
    ]
    return span


def test_both_services_answered(run: Run) -> None:
    assert run.reply["service"] == "service-a"
    assert run.reply["downstream"]["service"] == "service-b"
    assert run.reply["answer"] and run.reply["downstream"]["answer"]


def test_one_trace_across_both_services_in_otlp(run: Run) -> None:
    assert {s.service for s in run.otlp} == {"service-a", "service-b"}
    assert len({s.trace_id for s in run.otlp}) == 1
    a_server = next(s for s in by_service(run, "service-a") if s.kind == SERVER)
    [b_server] = [s for s in by_service(run, "service-b") if s.kind == SERVER]
    external = next(s for s in run.otlp if s.name == "service-b ask_downstream")
    a_to_b = call_to_b(run)
    assert b_server.parent_span_id == a_to_b.span_id  # B's server span hangs from A's HTTP span
    assert a_server.parent_span_id == ""  # the test's own request carried no trace
    assert a_to_b.attributes["aiobs.http.client.library"] == "httpx-async"
    assert external.attributes["peer.service"] == "service-b"
    # each service: its LLM span, with the provider's HTTP span below it
    for service in ("service-a", "service-b"):
        spans = by_service(run, service)
        [chat] = [s for s in spans if s.name == "chat gpt-4o-mini"]
        [below] = [s for s in spans if s.parent_span_id == chat.span_id]
        assert below.kind == CLIENT and not any(k.startswith("gen_ai.") for k in below.attributes)
        assert below.scope == "opentelemetry.instrumentation.httpx"
    assert a_server.attributes["user.id"] == "alice"
    assert all(s.attributes.get("user.id") == "alice" for s in by_service(run, "service-a"))


def test_the_json_exports_join_on_the_trace(run: Run) -> None:
    events = {
        "a": run.a["events"] + run.a["function_events"],
        "b": run.b["events"] + run.b["function_events"],
    }
    trace_ids = {e["trace_id"] for side in events.values() for e in side}
    assert trace_ids == {run.otlp[0].trace_id}
    assert [e["api"] for e in run.b["events"]] == ["chat.completions.create"]
    assert sorted(e["name"] for e in run.b["function_events"]) == ["answer", "handle"]
    a_to_b = call_to_b(run)
    [b_root] = [e for e in run.b["function_events"] if e["name"] == "handle"]
    # the nearest exported ancestor of B's handler is in the other service: A's HTTP span
    assert b_root["parent_span_id"] == a_to_b.span_id


def test_no_secret_in_the_otlp_payload_or_the_exports(run: Run) -> None:
    assert_no_secrets(run.payload, "the OTLP payload")
    assert_no_secrets(json.dumps(run.a), "service A's export")
    assert_no_secrets(json.dumps(run.b), "service B's export")
    # what redaction left in their place
    [b_server] = [s for s in by_service(run, "service-b") if s.kind == SERVER]
    a_to_b = call_to_b(run)
    assert b_server.attributes["http.request.header.authorization"] == ["[REDACTED]"]
    assert "token=[REDACTED]" in str(a_to_b.attributes.get("http.url"))
    preview = json.loads(a_to_b.attributes["aiobs.http.request.body.preview"])
    assert preview == {"question": "What is an API?", "password": "[REDACTED]"}


def test_phoenix_shows_one_trace_with_both_services(run: Run, phoenix: PhoenixServer) -> None:
    expected = len(run.otlp)
    spans = phoenix.wait_for_spans(run.project, lambda found: len(found) >= expected)
    assert len(spans) == expected, phoenix.log_tail()
    assert {s["context"]["trace_id"] for s in spans} == {run.otlp[0].trace_id}
    by_id = {s["context"]["span_id"]: s for s in spans}
    [b_server] = [s for s in by_service(run, "service-b") if s.kind == SERVER]
    a_to_b = by_id[b_server.parent_span_id]  # Phoenix links B's request to A's call
    assert a_to_b["name"] == "POST"
    assert by_id[b_server.span_id]["parent_id"] == a_to_b["context"]["span_id"]
    kinds = sorted(s["span_kind"] for s in spans if s["name"] == "chat gpt-4o-mini")
    assert kinds == ["LLM", "LLM"]  # one LLM span per service, not one per HTTP call
    assert_no_secrets(json.dumps(spans), "Phoenix")


def test_each_service_wrote_its_own_session(run: Run) -> None:
    assert run.a["sessions"][0]["name"] == "service-a"
    assert run.b["sessions"][0]["name"] == "service-b"


def test_the_two_exports_join_into_one_tree(run: Run) -> None:
    """Each export names how it joins the other: B the trace it continues (A's
    HTTP client span), A that client span's nearest event; the viewer-side join
    makes one tree of the two files."""
    from aiobs_otel.http.trace_links import anchor
    from aiobs_otel.viewer.join import join_traces

    a_spans = by_service(run, "service-a")
    exported = {int(e["span_id"], 16) for e in run.a["events"] + run.a["function_events"]}
    bridges = {int(s.span_id, 16): int(s.parent_span_id, 16) for s in a_spans if s.parent_span_id}
    handoff = call_to_b(run)
    found = anchor(int(handoff.span_id, 16), bridges, exported)
    assert found is not None
    assert run.a["trace_links"]["handoffs"][handoff.span_id] == format(found, "016x")
    trace_id = run.otlp[0].trace_id
    assert {"trace_id": trace_id, "parent_span_id": handoff.span_id} in run.b["trace_links"][
        "continues"
    ]
    [joined] = join_traces([run.a, run.b])
    assert joined.sources == {0, 1}
    [root] = joined.roots
    assert (root.event["name"], root.source) == ("handle", 0)
    children = [(c.event.get("name") or c.event.get("api"), c.source) for c in root.children]
    assert children == [("answer", 0), ("handle", 1)]
    # without A's handoffs the exports still share the trace, as two roots
    apart_a = {**run.a, "trace_links": {"continues": [], "handoffs": {}}}
    [apart] = join_traces([apart_a, run.b])
    assert [r.source for r in apart.roots] == [0, 1]


def test_the_viewer_shows_one_tree_for_both_files(run: Run, tmp_path: Path) -> None:
    from aiobs_otel.cli import main

    a_file, b_file = tmp_path / "a.json", tmp_path / "b.json"
    a_file.write_text(json.dumps(run.a))
    b_file.write_text(json.dumps(run.b))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["view", str(a_file), str(b_file), "--html", str(tmp_path / "t.html")]) == 0
    page = (tmp_path / "t.html").read_text()
    assert page.count(f"trace {run.otlp[0].trace_id}") == 1  # one tree for the trace
    assert f"[{a_file}]" in page and f"[{b_file}]" in page
