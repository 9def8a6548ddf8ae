"""SQS streaming: what it costs the application's thread per trace, and how many
traces per second reach the queue, with SQS up (moto in server mode on
127.0.0.1) and down (a port where nothing listens: every trace is spilled).

    .venv/bin/python benchmarks/_sqs.py            # full run (about a minute)
    .venv/bin/python benchmarks/_sqs.py --quick    # smoke run

The app-thread cost is measured as in the other workloads: paired, interleaved
rounds of the same trace on a provider without the SQS processor and on one
with it (the exporter is drained, untimed, between rounds). Throughput is one
burst of traces timed until the exporter reports them sent (or spilled); with
moto it measures moto as much as us, so the assembler's own rate is given too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import Plan, paired

os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                   "AWS_EC2_METADATA_DISABLED": "true"})  # fmt: skip

from opentelemetry.sdk.trace import TracerProvider

from aiobs_otel import attributes as A
from aiobs_otel.exporters.sqs import SQSConfig, SQSSpanExporter, SQSSpanProcessor

QUESTION = "In two sentences, what is an API and why do teams version them?"
REPLY = "An API is a contract between programs. Versions let it evolve."
MESSAGES = json.dumps([{"role": "user", "parts": [{"type": "text", "content": QUESTION}]}])
ANSWER = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": REPLY}]}])


@dataclass
class SqsFigures:
    base_us: float  # one trace (3 spans) on the SDK without the SQS processor
    up_added_us: float  # added per trace on the app's thread, SQS up
    up_ratio: float
    down_added_us: float  # the same with SQS down (every trace spilled)
    down_ratio: float
    up_cpu_us: float  # CPU per trace in all the process's threads (encoding, boto3), SQS up
    down_cpu_us: float  # the same, SQS down
    sent_per_s: float  # burst: traces accepted by SQS (moto) per second
    assembled_per_s: float  # burst: traces built, capped and queued per second
    spilled_per_s: float  # burst, SQS down: traces written to the spill file per second
    batches: int  # SendMessageBatch calls in the sent burst


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    port = _free_port()
    # The stand-in consumer purges often: let moto allow it more than once a minute.
    env = {**os.environ, "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)


# Stands in for the consumer that keeps a production queue short: moto's
# SendMessageBatch slows down as its queue grows (it is O(queue length)).
_CONSUMER = """
import sys, time, boto3
sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=sys.argv[1])
while True:
    sqs.purge_queue(QueueUrl=sys.argv[2])
    time.sleep(0.1)
"""


@contextlib.contextmanager
def consumer(endpoint: str, queue_url: str) -> Iterator[None]:
    process = subprocess.Popen([sys.executable, "-c", _CONSUMER, endpoint, queue_url])
    try:
        yield
    finally:
        process.terminate()
        process.wait(10)


def _queue(endpoint: str) -> str:
    import boto3

    client = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    return str(client.create_queue(QueueName=f"bench-{time.time_ns()}")["QueueUrl"])


def _trace(provider: TracerProvider) -> Callable[[], None]:
    """A request: an @observe-like function, a chat call with content and usage, a tool."""
    tracer = provider.get_tracer("aiobs_otel.observe")
    function = {A.AIOBS_SPAN_KIND: "function", A.AIOBS_FUNCTION_ARGS: '["What is an API?"]',
                A.AIOBS_FUNCTION_KWARGS: "{}",
                A.AIOBS_FUNCTION_RESULT: '"An API is a contract."'}  # fmt: skip
    chat: dict[str, Any] = {A.GEN_AI_OPERATION_NAME: "chat", A.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            A.GEN_AI_INPUT_MESSAGES: MESSAGES, A.GEN_AI_OUTPUT_MESSAGES: ANSWER,
            A.GEN_AI_USAGE_INPUT_TOKENS: 31, A.GEN_AI_USAGE_OUTPUT_TOKENS: 34}  # fmt: skip

    def one() -> None:
        with (
            tracer.start_as_current_span("research", attributes=function),
            tracer.start_as_current_span("chat gpt-4o-mini", attributes=chat),
            tracer.start_as_current_span("lookup", attributes={A.AIOBS_SPAN_KIND: "tool"}),
        ):
            pass

    return one


def _exporter(queue_url: str, endpoint: str, spill: Path) -> SQSSpanExporter:
    config = SQSConfig(queue_url=queue_url, endpoint_url=endpoint, spill_dir=spill,
                       trace_grace_ms=50, spill_max_bytes=1 << 34)  # fmt: skip
    return SQSSpanExporter(config)


def _app_cost(exporter: SQSSpanExporter, plan: Plan) -> tuple[float, float, float]:
    bare = TracerProvider(shutdown_on_exit=False)
    streaming = TracerProvider(shutdown_on_exit=False)
    streaming.add_span_processor(SQSSpanProcessor(exporter))
    result = paired(plan, base=_trace(bare), inst=_trace(streaming),
                    before_batch=lambda: exporter.force_flush(120_000) and None)  # fmt: skip
    wall = result.wall
    return wall.base_us, wall.added_us, wall.ratio


def _cpu_per_trace(exporter: SQSSpanExporter, count: int, rounds: int) -> float:
    """CPU time the streaming adds per trace in all of this process's threads: the
    hand-off, the assembly, compression, boto3 or the spill file (median of rounds)."""
    bare = TracerProvider(shutdown_on_exit=False)
    streaming = TracerProvider(shutdown_on_exit=False)
    streaming.add_span_processor(SQSSpanProcessor(exporter))
    base, inst = _trace(bare), _trace(streaming)
    added = []
    for _ in range(rounds):
        start = time.process_time_ns()
        for _ in range(count):
            base()
        base_ns = time.process_time_ns() - start
        start = time.process_time_ns()
        for _ in range(count):
            inst()
        exporter.force_flush(120_000)
        added.append((time.process_time_ns() - start - base_ns) / count / 1000)
    return statistics.median(added)


def _burst(exporter: SQSSpanExporter, count: int, counter: str) -> tuple[float, float]:
    """(traces/s reaching ``counter``, traces/s assembled) for ``count`` traces at once."""
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SQSSpanProcessor(exporter))
    one = _trace(provider)
    before = exporter.stats()
    start = time.perf_counter()
    for _ in range(count):
        one()
    assembled_at = None
    while exporter.stats()[counter] - before[counter] < count:
        if (
            assembled_at is None
            and exporter.stats()["traces_assembled"] - before["traces_assembled"] >= count
        ):
            assembled_at = time.perf_counter()
        time.sleep(0.001)
    done = time.perf_counter()
    return count / (done - start), count / ((assembled_at or done) - start)


def measure(*, quick: bool = False) -> SqsFigures:
    plan = Plan(rounds=5, batch=50, warmup=1) if quick else Plan(rounds=30, batch=200, warmup=3)
    burst = 300 if quick else 3000
    with moto_server() as endpoint, tempfile.TemporaryDirectory() as spill:
        url = _queue(endpoint)
        stack = contextlib.ExitStack()
        stack.enter_context(consumer(endpoint, url))
        up = _exporter(url, endpoint, Path(spill) / "up")
        base_us, up_added, up_ratio = _app_cost(up, plan)
        up_cpu = _cpu_per_trace(up, plan.batch, 3 if quick else 7)
        sent_per_s, assembled_per_s = _burst(up, burst, "messages_sent")
        batches = up.stats()["batches_sent"]
        up.shutdown()
        stack.close()
        down = _exporter(url, f"http://127.0.0.1:{_free_port()}", Path(spill) / "down")
        _, down_added, down_ratio = _app_cost(down, plan)
        down_cpu = _cpu_per_trace(down, plan.batch, 3 if quick else 7)
        spilled_per_s, _ = _burst(down, burst, "messages_spilled")
        down.shutdown()
    return SqsFigures(base_us, up_added, up_ratio, down_added, down_ratio, up_cpu, down_cpu,
                      sent_per_s, assembled_per_s, spilled_per_s, batches)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = measure(quick=args.quick)
    if args.json:
        print(json.dumps(asdict(figures)))
        return
    print(f"one trace (3 spans), SDK only      {figures.base_us:8.1f} us")
    print(f"added on the app thread, SQS up    {figures.up_added_us:8.1f} us per trace "
          f"({figures.up_ratio:.2f}x)")  # fmt: skip
    print(f"added on the app thread, SQS down  {figures.down_added_us:8.1f} us per trace "
          f"({figures.down_ratio:.2f}x)")  # fmt: skip
    print(f"CPU per trace, all threads, up     {figures.up_cpu_us:8.1f} us")
    print(f"CPU per trace, all threads, down   {figures.down_cpu_us:8.1f} us")
    print(f"sent to SQS (moto)                 {figures.sent_per_s:8.0f} traces/s "
          f"({figures.batches} batches)")  # fmt: skip
    print(f"assembled (built, capped, queued)  {figures.assembled_per_s:8.0f} traces/s")
    print(f"spilled to disk, SQS down          {figures.spilled_per_s:8.0f} traces/s")


if __name__ == "__main__":
    main()
