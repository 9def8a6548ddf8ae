"""Read aiobs-otel's (and llmops-observability's) trace messages from an SQS queue,
decompress them and print or forward each trace: what a Lambda or a worker
behind the queue does.

    AWS_SQS_URL=https://sqs.us-east-1.amazonaws.com/123456789012/llm-traces \\
        python examples/sqs_consumer.py                   # print, until Ctrl-C
    python examples/sqs_consumer.py --forward-dir traces/ --once

--forward-dir writes each trace as DIR/<trace_id>-<idempotency_key>.json (where
a real consumer would put it into S3 or send it to a backend). --once stops when
the queue is empty. A local SQS (moto, LocalStack): AWS_ENDPOINT_URL_SQS=http://...
Messages are deleted once handled; a message seen twice (SQS delivers at least
once; a spill may be re-sent) is recognised by its idempotency key and skipped.

Needs only boto3 (pip install boto3): decompression is the standard library's,
as in llmops-observability's README.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

import boto3


def decompress(body: str) -> dict[str, Any]:
    """The README's decompression: base64, then gzip, then JSON."""
    message = json.loads(body)
    if not message.get("compressed"):
        return dict(message)
    return dict(json.loads(gzip.decompress(base64.b64decode(message["data"]))))


def summary(trace: dict[str, Any]) -> str:
    usage = trace.get("token_usage") or {}
    cost = trace.get("cost") or {}
    part = trace.get("part")
    return " ".join([
        f"trace {trace['trace_id']}",
        f"{trace.get('trace_name')!r}",
        f"env={trace.get('environment')} project={trace.get('project_id')}",
        f"spans={len(trace.get('spans', []))}",
        f"generations={trace.get('total_generations', 0)}",
        f"tokens={usage.get('total_tokens', 0)}",
        f"cost={cost['total_cost']:.6f} {cost.get('currency', '')}".rstrip() if cost else "cost=-",
        f"segment={trace.get('segment', 'complete')}",
        f"part={part['index'] + 1}/{part['count']}" if part else "",
        "truncated" if trace.get("truncated") else "",
    ]).rstrip()  # fmt: skip


class Seen:
    """The idempotency keys handled recently (a bounded memory)."""

    def __init__(self, size: int = 100_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def add(self, key: str) -> bool:
        """True the first time ``key`` is seen."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue-url", default=os.environ.get("AWS_SQS_URL"))
    parser.add_argument("--forward-dir", type=Path, help="write each trace there as JSON")
    parser.add_argument("--once", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--wait", type=int, default=20, help="long-poll seconds (0 to 20)")
    args = parser.parse_args()
    if not args.queue_url:
        parser.error("set AWS_SQS_URL or pass --queue-url")
    sqs = boto3.client("sqs", region_name=os.environ.get("AWS_REGION") or None)
    seen = Seen()
    if args.forward_dir:
        args.forward_dir.mkdir(parents=True, exist_ok=True)
    while True:
        answer = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=0 if args.once else args.wait)  # fmt: skip
        messages = answer.get("Messages") or []
        if not messages and args.once:
            return 0
        for message in messages:
            key = json.loads(message["Body"]).get("idempotency_key", message["MessageId"])
            if seen.add(key):
                trace = decompress(message["Body"])
                print(summary(trace), flush=True)
                if args.forward_dir:
                    target = args.forward_dir / f"{trace['trace_id']}-{key}.json"
                    target.write_text(json.dumps(trace, indent=2), encoding="utf-8")
            else:
                print(f"duplicate {key} skipped", file=sys.stderr)
            sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    raise SystemExit(main())
