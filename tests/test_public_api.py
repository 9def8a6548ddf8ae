"""The public API: ``__all__`` is exactly what we document, and every name imports."""

from __future__ import annotations

import importlib
import re

import aiobs_otel

EXPECTED = {
    "BaseExporter",
    "BaseProvider",
    "Callsite",
    "Event",
    "ExportError",
    "ExportResult",
    "FunctionEvent",
    "ObservabilityExport",
    "ObservedEvent",
    "ObservedFunctionEvent",
    "Observer",
    "Session",
    "SessionMeta",
    "__version__",
    "observe",
    "observer",
    "set_mask",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(aiobs_otel.__all__) == EXPECTED
    assert len(aiobs_otel.__all__) == len(EXPECTED)  # no duplicates


def test_every_name_imports() -> None:
    module = importlib.import_module("aiobs_otel")
    for name in aiobs_otel.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from aiobs_otel import *", namespace)
    assert set(namespace) >= EXPECTED


def test_the_global_observer_and_version() -> None:
    assert isinstance(aiobs_otel.observer, aiobs_otel.Observer)
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", aiobs_otel.__version__)
    from aiobs_otel import labels

    assert labels.system_labels()["aiobs_sdk_version"] == aiobs_otel.__version__


def test_models_are_the_export_schema() -> None:
    fields = set(aiobs_otel.ObservabilityExport.model_fields)
    assert fields == {
        "sessions",
        "events",
        "function_events",
        "trace_tree",
        "enh_prompt_traces",
        "generated_at",
        "version",
    }
    assert aiobs_otel.ObservedFunctionEvent.model_fields["session_id"].is_required()
    assert aiobs_otel.FunctionEvent.model_fields["provider"].default == "function"
