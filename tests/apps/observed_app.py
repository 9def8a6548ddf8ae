"""An app that uses the aiobs programming model while opentelemetry-instrument
already configured OpenTelemetry: observe() must reuse that pipeline.

argv[1]: where the explicit flush writes.
"""

from __future__ import annotations

import sys

from openai import OpenAI

from aiobs_otel import observe, observer

client = OpenAI()


@observe
def answer(question: str) -> str:
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
    )
    return reply.choices[0].message.content or ""


def main() -> None:
    answer("before the explicit session")  # recorded in the implicit session
    observer.observe(session_name="explicit", labels={"stage": "eval"})
    answer("inside the explicit session")
    observer.end()
    print("explicit flush:", observer.flush(path=sys.argv[1]))
    observer.observe(session_name="after-flush")
    answer("after the explicit flush")  # written by the shutdown flush


if __name__ == "__main__":
    main()
