"""``aiobs-otel demo``: the usage guide's research -> summarize -> critique pipeline,
offline.

Real ``openai`` and ``google-genai`` clients talk to the provider stand-in on
127.0.0.1: chat (plain and streamed), embeddings, Gemini generate_content
(Developer API), and a Veo video on Vertex AI with operation polling. One call
is rate-limited on purpose (the stand-in's ``error-429`` model) so the trace
shows how a failure looks. The export is written, its path printed, and the
tree shown.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import time
from typing import Any

from .. import observe, observer
from ..evaluations import configure_judge
from ..install_hints import pip_install
from .standin import StandIn, static_google_credentials

MISSING_SDKS = "aiobs-otel demo needs the openai and google-genai clients: {command}"
DEFAULT_TOPIC = "What is an API, and why do teams version them?"


class _Clients:
    def __init__(self, standin: StandIn) -> None:
        import openai
        from google import genai
        from google.genai import types

        self.openai = openai.OpenAI(base_url=standin.openai_base_url, api_key="demo", max_retries=0)
        options = types.HttpOptions(base_url=standin.gemini_base_url)
        self.gemini = genai.Client(api_key="demo", http_options=options)
        # Veo runs on Vertex AI in google-genai 3.x; a static token stands in for ADC.
        self.vertex = genai.Client(
            vertexai=True,
            project="aiobs-demo",
            location="us-central1",
            credentials=static_google_credentials(),
            http_options=options,
        )
        self.types = types


@observe
def research(topic: str, clients: _Clients) -> dict[str, Any]:
    notes = clients.openai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are a careful research assistant."},
            {"role": "user", "content": f"Research notes on: {topic}"},
        ],
        temperature=0.2,
    )
    facts = clients.gemini.models.generate_content(
        model="gemini-2.0-flash", contents=f"Three key facts about: {topic}"
    )
    texts = [notes.choices[0].message.content or "", facts.text or ""]
    vectors = clients.openai.embeddings.create(model="text-embedding-3-small", input=texts)
    return {"sources": len(texts), "dimensions": len(vectors.data[0].embedding)}


# A generation evaluated by the sampled LLM judge (every call, here: sample_rate=1.0).
@observe(kind="generation", enh_prompt=True, auto_enhance_after=10, evals=["correctness"],
         sample_rate=1.0)  # fmt: skip
def summarize(topic: str, clients: _Clients) -> str:
    stream = clients.openai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": f"Summarize the research on: {topic}"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


@observe
def critique(summary: str, clients: _Clients) -> str:
    import openai

    prompt = f"Critique this summary: {summary[:200]}"
    # The stand-in rate-limits this model, to show how a failed call looks;
    # the step falls back to Gemini, as a real pipeline might.
    with contextlib.suppress(openai.RateLimitError):
        clients.openai.chat.completions.create(
            model="error-429", messages=[{"role": "user", "content": prompt}]
        )
    chunks = clients.gemini.models.generate_content_stream(
        model="gemini-2.5-flash", contents=prompt
    )
    return "".join(c.text or "" for c in chunks)


@observe
def illustrate(summary: str, clients: _Clients) -> str | None:
    types = clients.types
    operation = clients.vertex.models.generate_videos(
        model="veo-3.0-generate-001",
        source=types.GenerateVideosSource(prompt=f"A short explainer video: {summary[:120]}"),
        config=types.GenerateVideosConfig(output_gcs_uri="gs://aiobs-demo/videos"),
    )
    while not operation.done:
        time.sleep(0.05)  # a real Veo job takes minutes; poll every ~10 s there
        operation = clients.vertex.operations.get(operation)
    videos = operation.result.generated_videos if operation.result else None
    return videos[0].video.uri if videos and videos[0].video else None


@observe
def pipeline(topic: str, clients: _Clients) -> dict[str, Any]:
    found = research(topic, clients)
    summary = summarize(topic, clients)
    review = critique(summary, clients)
    video = illustrate(summary, clients)
    return {"research": found, "summary": summary[:80], "critique": review[:80], "video": video}


def run(topic: str = DEFAULT_TOPIC, *, out: str | None = None, show: bool = True) -> str:
    """Run the pipeline against a fresh stand-in; return the export's path."""
    with StandIn(video_polls=2, chunk_delay=0.005) as standin:
        clients = _Clients(standin)
        # The judge of the sampled evaluations: the stand-in answers judge prompts too.
        configure_judge(client=clients.openai, model="gpt-4o-mini", seed=7)
        # observe() switches on the instrumentors of the installed SDKs, as in aiobs.
        observer.observe(session_name="aiobs-otel demo", labels={"environment": "demo"})
        try:
            pipeline(topic, clients)
        finally:
            observer.end()
        path = str(observer.flush(path=out))
    print(f"Export written to {path}")
    if show:
        _show(path)
        print(f"\nOpen it as a page: {command_prefix()} view {shlex.quote(path)} --html trace.html")
    return path


def _show(path: str) -> None:
    try:
        from rich.console import Console
    except ImportError:
        print(f"(to see the tree here: {pip_install('view')})")
        return
    from ..viewer import load_export, render_terminal

    render_terminal(load_export(path), Console())


def command_prefix() -> str:
    """How to run ``aiobs-otel`` from here, as it can be typed: the bare name
    when it is on PATH, else the script in this interpreter's environment
    (``.venv/bin/aiobs-otel`` for a venv that is not activated)."""
    script = os.path.join(os.path.dirname(sys.executable), "aiobs-otel")
    found = shutil.which("aiobs-otel")
    if found and os.path.realpath(found) == os.path.realpath(script):
        return "aiobs-otel"
    if not os.path.exists(script):
        return f"{shlex.quote(sys.executable)} -m aiobs_otel"
    relative = os.path.relpath(script)
    return shlex.quote(relative if not relative.startswith(os.pardir) else script)


def main(topic: str | None = None, out: str | None = None) -> int:
    try:
        import google.genai  # noqa: F401
        import openai  # noqa: F401
    except ImportError:
        print(MISSING_SDKS.format(command=pip_install("openai,gemini,view")), file=sys.stderr)
        return 1
    run(topic or DEFAULT_TOPIC, out=out)
    return 0
