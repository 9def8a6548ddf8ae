"""OpenAI embeddings, single input and batch, as in the aiobs usage guide.

    OPENAI_API_KEY=sk-... python examples/embeddings.py
    AIOBS_EXAMPLES_STANDIN=1 python examples/embeddings.py    # offline

The export records model, input, dimensions and usage, and the vectors at
``response.data[i].embedding`` as aiobs does (``AIOBS_EXPORT_EMBEDDINGS=false``
leaves them out).
"""

from _clients import openai_client

from aiobs_otel import observer

observer.observe(session_name="embeddings")

client = openai_client()
single = client.embeddings.create(model="text-embedding-3-small", input="Hello world")
print(f"1 vector of {len(single.data[0].embedding)} dimensions")

batch = client.embeddings.create(
    model="text-embedding-3-small",
    input=["Hello world", "Goodbye world", "How are you?"],
)
print(f"{len(batch.data)} vectors")

observer.end()
path = observer.flush()
print(f"Export written to {path}")
