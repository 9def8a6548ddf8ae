"""The same bad calls under aiobs 0.1.5 or aiobs-otel; prints what each raised.

    python bad_calls.py aiobs        # in .venv-aiobs015
    python bad_calls.py aiobs_otel   # in .venv

Prints one JSON object: call name -> [exception class name, message], or null
when the call raised nothing. Environment as for ``run_calls.py``
(``SHEPHERD_URL``, ``AIOBS_API_KEY``; ``REJECTED_KEY`` is a key the usage
stub answers 401 for).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

# As if google-cloud-storage were not installed (aiobs 0.1.5's venv has none;
# ours has the extra, so it is hidden here).
sys.modules["google.cloud.storage"] = None  # type: ignore[assignment]

SDK = sys.argv[1]
if SDK == "aiobs":
    import aiobs.collector

    aiobs.collector.SHEPHERD_SERVER_URL = os.environ["SHEPHERD_URL"]
package: Any = importlib.import_module(SDK)
exporters: Any = importlib.import_module(f"{SDK}.exporters")
observer = package.observer
CustomExporter, CompositeExporter = exporters.CustomExporter, exporters.CompositeExporter
GCSExporter = importlib.import_module(f"{SDK}.exporters.gcs").GCSExporter

MANY = {f"label_{i}": "v" for i in range(65)}


def with_session(call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        observer.observe(session_name="bad-calls")
        try:
            return call()
        finally:
            observer.reset()

    return run


def fill_to_the_limit() -> None:
    observer.set_labels({f"label_{i}": "v" for i in range(60)})  # + 4 system labels = 64
    observer.add_label("one_more", "v")


def failing(data: Any, options: Any) -> None:
    raise RuntimeError("boom")


def flush_to(exporter_factory: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        observer.observe(session_name="bad-export")
        observer.end()
        try:
            return observer.flush(exporter=exporter_factory())
        finally:
            observer.reset()

    return run


CALLS: dict[str, Callable[[], Any]] = {
    "add_label without a session": lambda: observer.add_label("team", "ml"),
    "add_label with a bad key, without a session": lambda: observer.add_label("Bad", "v"),
    "set_labels without a session": lambda: observer.set_labels({"team": "ml"}),
    "remove_label without a session": lambda: observer.remove_label("team"),
    "get_labels without a session": lambda: observer.get_labels(),
    "add_label bad key": with_session(lambda: observer.add_label("Bad-Key", "v")),
    "add_label reserved prefix": with_session(lambda: observer.add_label("aiobs_x", "v")),
    "add_label key not a string": with_session(lambda: observer.add_label(5, "v")),
    "add_label value too long": with_session(lambda: observer.add_label("k", "x" * 257)),
    "add_label value not a string": with_session(lambda: observer.add_label("k", 5)),
    "add_label over the limit": with_session(fill_to_the_limit),
    "set_labels not a dict": with_session(lambda: observer.set_labels(["team"])),
    "set_labels too many": with_session(lambda: observer.set_labels(MANY)),
    "set_labels with system labels over the limit": with_session(
        lambda: observer.set_labels({f"label_{i}": "v" for i in range(61)})
    ),
    "set_labels bad key": with_session(lambda: observer.set_labels({"Bad": "v"})),
    "remove_label system label": with_session(lambda: observer.remove_label("aiobs_os")),
    "observe labels not a dict": lambda: observer.observe(labels="team=ml"),
    "observe labels too many": lambda: observer.observe(labels=MANY),
    "observe labels bad key": lambda: observer.observe(labels={"9lives": "v"}),
    "observe labels bad value": lambda: observer.observe(labels={"team": 42}),
    "observe with a rejected key": lambda: observer.observe(api_key=os.environ["REJECTED_KEY"]),
    "CustomExporter handler fails": flush_to(lambda: CustomExporter(failing)),
    "CustomExporter not callable": lambda: CustomExporter("not a function"),
    "CompositeExporter empty": lambda: CompositeExporter([]),
    "CompositeExporter stop_on_error": flush_to(
        lambda: CompositeExporter([CustomExporter(failing)], stop_on_error=True)
    ),
    "GCSExporter without google-cloud-storage": flush_to(lambda: GCSExporter(bucket="b")),
    "GCSExporter.from_env without a bucket": lambda: GCSExporter.from_env(),
}


def main() -> None:
    seen: dict[str, list[str] | None] = {}
    for name, call in CALLS.items():
        try:
            call()
        except Exception as exc:
            seen[name] = [type(exc).__name__, str(exc)]
        else:
            seen[name] = None
        observer.reset()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
