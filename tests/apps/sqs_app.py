"""An app that streams its traces to SQS through ``observe()`` (the test sets
AWS_SQS_URL and points it at moto, or at a dead port).

    python sqs_app.py produce N [--hang]   N traces; wait until each is sent or on
                                          disk; with --hang, then wait to be killed
    python sqs_app.py replay N [M]         wait until the spill of earlier runs (N
                                          messages) is re-sent; produce M new traces

Prints one line ``STATS <json>`` with the exporter's counters.
"""

from __future__ import annotations

import json
import sys
import time

from aiobs_otel import observe, observer
from aiobs_otel.exporters.sqs import streaming_stats


@observe(name="handle_request")
def handle_request(run: str, number: int) -> dict[str, object]:
    return {"run": run, "number": number, "answer": lookup(number)}


@observe
def lookup(number: int) -> str:
    return f"document {number}"


def stats() -> dict[str, int]:
    (counters,) = streaming_stats().values()
    return counters


def produce(run: str, count: int) -> None:
    for number in range(count):
        handle_request(run, number)
    provider = observer.tracer_provider
    assert provider is not None
    assert provider.force_flush(30_000), "force_flush timed out"


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2])
    observer.observe(session_name=f"sqs-app-{mode}")
    if mode == "produce":
        produce("first", count)
        print("STATS", json.dumps(stats()), flush=True)
        if "--hang" in sys.argv:
            time.sleep(600)  # the test kills us with SIGKILL
    elif mode == "replay":
        deadline = time.monotonic() + 30
        while stats()["messages_replayed"] < count and time.monotonic() < deadline:
            time.sleep(0.05)
        produce("second", int(sys.argv[3]) if len(sys.argv) > 3 else 0)
        print("STATS", json.dumps(stats()), flush=True)
    observer.end()


if __name__ == "__main__":
    main()
