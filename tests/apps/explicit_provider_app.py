"""``Observer(tracer_provider=mine)`` in a process with no global provider:
``@observe`` functions (decorated at import, before the Observer exists) and
the provider calls made inside them must reach ``mine``.

argv[1]: where the flush writes. Prints JSON: the spans ``mine`` received
(name, span id, parent id) and the type of the global tracer provider.
"""

from __future__ import annotations

import json
import sys

import openai
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aiobs_otel import Observer, observe
from aiobs_otel.demo import StandIn


@observe
def answer(client: openai.OpenAI, question: str) -> str:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


@observe(name="pipeline")
def pipeline(client: openai.OpenAI) -> int:
    return len(answer(client, "What is an API?"))


def main() -> None:
    memory = InMemorySpanExporter()
    mine = TracerProvider()
    mine.add_span_processor(SimpleSpanProcessor(memory))
    own = Observer(tracer_provider=mine)
    with StandIn() as standin:
        client = openai.OpenAI(base_url=standin.openai_base_url, api_key="test", max_retries=0)
        own.observe(session_name="mine")
        pipeline(client)
        own.end()
        own.flush(path=sys.argv[1])
    spans = [
        {"name": s.name, "id": format(s.context.span_id, "016x"),
         "parent": format(s.parent.span_id, "016x") if s.parent else None}
        for s in memory.get_finished_spans()
    ]  # fmt: skip
    print(json.dumps({"spans": spans, "global": type(trace.get_tracer_provider()).__name__}))


if __name__ == "__main__":
    main()
