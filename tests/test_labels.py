"""Session labels: the rules, environment labels, precedence, the label API, and
how labels reach spans (``aiobs.label.*`` on local roots, ``session.id`` on all)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer, observe
from aiobs_otel import labels as rules

FlushJson = Callable[..., dict[str, Any]]
SYSTEM_KEYS = {"aiobs_sdk_version", "aiobs_python_version", "aiobs_hostname", "aiobs_os"}


# -- rules -------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "team", "env_2", "x" * 63, "a_b_c9"])
def test_valid_keys_are_accepted(observer: Observer, key: str) -> None:
    observer.observe(labels={key: "v"})
    assert observer.get_labels()[key] == "v"


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("Team", "^[a-z][a-z0-9_]{0,62}$"),
        ("1team", "^[a-z][a-z0-9_]{0,62}$"),
        ("_team", "^[a-z][a-z0-9_]{0,62}$"),
        ("team-name", "^[a-z][a-z0-9_]{0,62}$"),
        ("", "^[a-z][a-z0-9_]{0,62}$"),
        ("x" * 64, "^[a-z][a-z0-9_]{0,62}$"),
        ("aiobs_custom", "reserved prefix"),
        ("aiobs_os", "reserved prefix"),
    ],
)
def test_invalid_key_error_names_key_and_rule(observer: Observer, key: str, rule: str) -> None:
    with pytest.raises(ValueError) as info:
        observer.observe(labels={key: "v"})
    assert repr(key) in str(info.value)
    assert rule in str(info.value)
    assert observer.session_id is None  # nothing was started


def test_non_string_key_and_value_are_rejected(observer: Observer) -> None:
    with pytest.raises(ValueError, match=r"^Label key must be a string, got int"):
        observer.observe(labels={3: "v"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match=r"^Label value for 'team' must be a string, got int"):
        observer.observe(labels={"team": 7})  # type: ignore[dict-item]


def test_value_length_limit(observer: Observer) -> None:
    observer.observe(labels={"long": "v" * 256})
    assert len(observer.get_labels()["long"]) == 256
    with pytest.raises(
        ValueError, match=r"^Label value for 'long' exceeds maximum length of 256 characters"
    ):
        observer.add_label("long", "v" * 257)
    assert len(observer.get_labels()["long"]) == 256  # unchanged after the failed call


def test_at_most_64_labels_system_labels_included(observer: Observer) -> None:
    # As in aiobs: observe() checks the explicit labels (at most 64); adding
    # labels later counts the system labels too.
    sixty_four = {f"k{i}": "v" for i in range(64)}
    observer.observe(labels=sixty_four)
    assert len(observer.get_labels()) == 64 + len(SYSTEM_KEYS)
    with pytest.raises(
        ValueError, match=r"^Cannot add label\. Maximum of 64 labels already reached"
    ):
        observer.add_label("one_more", "v")
    with pytest.raises(ValueError, match=r"^Too many labels \(65\)\. Maximum allowed is 64\."):
        observer.observe(labels={f"k{i}": "v" for i in range(65)})
    observer.observe(labels={f"k{i}": "v" for i in range(60)})
    with pytest.raises(ValueError, match=r"^Too many labels \(65\)\. Maximum allowed is 64\."):
        observer.set_labels({"one": "v"})  # 4 system + 60 + 1


def test_labels_must_be_a_mapping(observer: Observer) -> None:
    with pytest.raises(ValueError, match=r"^Labels must be a dictionary"):
        observer.observe(labels=[("a", "b")])  # type: ignore[arg-type]


# -- environment labels and precedence ------------------------------------------------


def test_env_labels_lowercased_invalid_skipped_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOBS_LABEL_TEAM", "ml")
    monkeypatch.setenv("AIOBS_LABEL_Deploy_Region", "eu")
    monkeypatch.setenv("AIOBS_LABEL_BAD-KEY", "x")
    monkeypatch.setenv("AIOBS_LABEL_1ST", "x")
    monkeypatch.setenv("AIOBS_LABEL_", "x")
    monkeypatch.setenv("AIOBS_LABEL_AIOBS_OS", "spoofed")
    monkeypatch.setenv("AIOBS_LABEL_BIG", "b" * 300)
    monkeypatch.setenv("NOT_A_LABEL", "x")
    assert rules.env_labels() == {"team": "ml", "deploy_region": "eu", "big": "b" * 256}


def test_precedence_system_env_explicit(
    observer: Observer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOBS_LABEL_TEAM", "from-env")
    monkeypatch.setenv("AIOBS_LABEL_REGION", "eu")
    observer.observe(labels={"team": "explicit"})
    labels = observer.get_labels()
    assert labels["team"] == "explicit"
    assert labels["region"] == "eu"
    assert set(labels) >= SYSTEM_KEYS


def test_system_labels_cannot_be_overridden_from_env(
    observer: Observer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOBS_LABEL_AIOBS_SDK_VERSION", "9.9.9")
    observer.observe()
    from aiobs_otel import __version__

    assert observer.get_labels()["aiobs_sdk_version"] == __version__


# -- the label API ----------------------------------------------------------------------


def test_add_set_remove_get(observer: Observer) -> None:
    observer.observe(labels={"team": "ml", "stage": "dev"})
    observer.add_label("owner", "ana")
    observer.set_labels({"stage": "prod", "tier": "gold"})  # merge
    user = {k: v for k, v in observer.get_labels().items() if k not in SYSTEM_KEYS}
    assert user == {"team": "ml", "stage": "prod", "owner": "ana", "tier": "gold"}

    observer.set_labels({"only": "this"}, merge=False)
    labels = observer.get_labels()
    assert {k: v for k, v in labels.items() if k not in SYSTEM_KEYS} == {"only": "this"}
    assert set(labels) >= SYSTEM_KEYS  # kept by merge=False

    observer.remove_label("only")
    observer.remove_label("never_set")  # absent: nothing to do
    assert set(observer.get_labels()) == SYSTEM_KEYS


def test_get_labels_returns_a_copy(observer: Observer) -> None:
    observer.observe(labels={"team": "ml"})
    observer.get_labels()["team"] = "changed"
    assert observer.get_labels()["team"] == "ml"


def test_system_labels_cannot_be_removed_or_set(observer: Observer) -> None:
    observer.observe()
    with pytest.raises(ValueError, match=r"^Cannot remove system label 'aiobs_os'"):
        observer.remove_label("aiobs_os")
    with pytest.raises(ValueError, match="reserved prefix"):
        observer.set_labels({"aiobs_os": "x"})
    with pytest.raises(ValueError, match="reserved prefix"):
        observer.add_label("aiobs_hostname", "x")


def test_set_labels_validates_all_before_changing_any(observer: Observer) -> None:
    observer.observe(labels={"team": "ml"})
    with pytest.raises(ValueError, match="'Bad'"):
        observer.set_labels({"team": "other", "Bad": "x"})
    assert observer.get_labels()["team"] == "ml"


@pytest.mark.parametrize(
    "call",
    [
        lambda o: o.add_label("team", "ml"),
        lambda o: o.set_labels({"team": "ml"}),
        lambda o: o.set_labels({"team": "ml"}, merge=False),
        lambda o: o.remove_label("team"),
        lambda o: o.get_labels(),
    ],
)
def test_label_calls_without_session_raise_runtime_error(observer: Observer, call: object) -> None:
    with pytest.raises(RuntimeError, match=r"^No active session\. Call observe\(\) first\."):
        call(observer)  # type: ignore[operator]
    observer.observe()
    observer.end()
    with pytest.raises(RuntimeError):
        call(observer)  # type: ignore[operator]


# -- labels on spans ----------------------------------------------------------------------


def test_labels_on_local_roots_and_session_id_on_every_span(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    @observe
    def child() -> None:
        with trace.get_tracer("plain").start_as_current_span("grandchild"):
            pass

    @observe
    def root() -> None:
        child()

    session_id = observer.observe(labels={"team": "ml"})
    root()
    finished = {s.name: s for s in spans.get_finished_spans()}
    assert set(finished) == {"root", "child", "grandchild"}
    for span in finished.values():
        assert span.attributes is not None
        assert span.attributes["session.id"] == session_id
    root_attrs = finished["root"].attributes or {}
    assert root_attrs["aiobs.label.team"] == "ml"
    assert root_attrs["aiobs.label.aiobs_os"] == observer.get_labels()["aiobs_os"]
    for name in ("child", "grandchild"):
        assert not any(k.startswith("aiobs.label.") for k in finished[name].attributes or {})


def test_label_change_mid_session_shows_on_next_trace(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("app")
    observer.observe(labels={"stage": "one"})
    with tracer.start_as_current_span("first"):
        observer.add_label("stage", "two")  # the running trace keeps its labels
        with tracer.start_as_current_span("first-child"):
            pass
    with tracer.start_as_current_span("second"):
        pass
    observer.remove_label("stage")
    with tracer.start_as_current_span("third"):
        pass
    by_name = {s.name: s.attributes or {} for s in spans.get_finished_spans()}
    assert by_name["first"]["aiobs.label.stage"] == "one"
    assert "aiobs.label.stage" not in by_name["first-child"]
    assert by_name["second"]["aiobs.label.stage"] == "two"
    assert "aiobs.label.stage" not in by_name["third"]


def test_spans_outside_a_session_carry_nothing(
    observer: Observer, spans: InMemorySpanExporter
) -> None:
    observer.observe(labels={"team": "ml"})
    observer.end()
    with trace.get_tracer("app").start_as_current_span("after"):
        pass
    (after,) = spans.get_finished_spans()
    assert not any(k == "session.id" or k.startswith("aiobs.") for k in after.attributes or {})


def test_labels_land_in_the_export(observer: Observer, flush_json: FlushJson) -> None:
    observer.observe(labels={"team": "ml"})
    observer.add_label("run", "7")
    document = flush_json()
    (session,) = document["sessions"]
    assert session["labels"]["team"] == "ml"
    assert session["labels"]["run"] == "7"
    assert set(session["labels"]) >= SYSTEM_KEYS
