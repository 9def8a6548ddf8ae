"""A plain LLM app with no observability code: run it under the
OpenTelemetry launcher and aiobs-otel records it::

    opentelemetry-instrument python examples/zero_code_app.py
    AIOBS_EXAMPLES_STANDIN=1 opentelemetry-instrument python examples/zero_code_app.py

(``OTEL_PYTHON_DISTRO=aiobs_otel OTEL_PYTHON_CONFIGURATOR=aiobs_otel`` select
aiobs-otel when other distros are installed.) The launcher loads the
instrumentors and opens one session for the whole process; at exit the JSON
export is written to ``LLM_OBS_OUT``, or ``./<session-id>.json``. Add
``OTEL_EXPORTER_OTLP_ENDPOINT=...`` to send the same spans to a backend too.
"""

from _clients import gemini_client, openai_client


def main() -> None:
    openai = openai_client()
    chat = openai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Name one use of a vector database."}],
    )
    print("chat:", chat.choices[0].message.content)

    vectors = openai.embeddings.create(model="text-embedding-3-small", input=["vector database"])
    print("embedding dimensions:", len(vectors.data[0].embedding))

    gemini = gemini_client()  # keep a reference: a dropped genai.Client closes itself
    answer = gemini.models.generate_content(
        model="gemini-2.0-flash", contents="Say hello in French."
    )
    print("gemini:", answer.text)


if __name__ == "__main__":
    main()
