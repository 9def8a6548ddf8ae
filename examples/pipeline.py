"""A three-step pipeline (research -> summarize -> critique) with nested
@observe functions, as in the aiobs usage guide.

    OPENAI_API_KEY=sk-... python examples/pipeline.py "Your prompt here"
    AIOBS_EXAMPLES_STANDIN=1 python examples/pipeline.py    # offline

One JSON file holds every step: each chat call hangs under the function that
made it, and ``summarize`` (enh_prompt=True) gets an ``enh_prompt_id``,
listed in the export's ``enh_prompt_traces``.
"""

import sys

from _clients import openai_client

from aiobs_otel import observe, observer

client = openai_client()


def ask(prompt: str) -> str:
    response = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}]
    )
    return response.choices[0].message.content or ""


@observe
def research(query: str) -> list[str]:
    notes = ask(f"List three facts about: {query}")
    return [line for line in notes.splitlines() if line.strip()]


@observe(enh_prompt=True, auto_enhance_after=10)
def summarize(facts: list[str]) -> str:
    return ask("Summarize in two sentences:\n" + "\n".join(facts))


@observe
def critique(summary: str) -> str:
    return ask(f"Critique this summary in one sentence: {summary}")


@observe(name="pipeline")
def run(query: str) -> dict[str, str]:
    summary = summarize(research(query))
    return {"summary": summary, "critique": critique(summary)}


query = sys.argv[1] if len(sys.argv) > 1 else "What is an API?"
observer.observe(session_name="pipeline")
result = run(query)
print("Summary:", result["summary"])
print("Critique:", result["critique"])
observer.end()
path = observer.flush()
print(f"Export written to {path}")
