"""A batch of texts embedded with Gemini ``embed_content``, then compared by
cosine similarity.

    GOOGLE_API_KEY=... python examples/gemini_embeddings.py
    AIOBS_EXAMPLES_STANDIN=1 python examples/gemini_embeddings.py    # offline

One call embeds the whole batch (one vector per text): the export has one
``models.embed_content`` event with the inputs, the dimension count and the
vectors at ``response.data[i].embedding`` (``AIOBS_EXPORT_EMBEDDINGS=false``
leaves them out). Vertex AI (``GOOGLE_GENAI_USE_VERTEXAI=true``) also reports
the token count.
"""

import math

from _clients import gemini_client
from google.genai import types

from aiobs_otel import observer

TEXTS = [
    "How do I reset my password?",
    "I forgot my password and cannot log in.",
    "What are your opening hours on Sunday?",
]


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


observer.observe(session_name="gemini-embeddings")

client = gemini_client()
result = client.models.embed_content(
    model="gemini-embedding-001",
    contents=TEXTS,
    config=types.EmbedContentConfig(task_type="SEMANTIC_SIMILARITY", output_dimensionality=768),
)
vectors = [e.values or [] for e in result.embeddings or []]
print(f"{len(vectors)} vectors of {len(vectors[0])} dimensions")
for i in range(len(TEXTS)):
    for j in range(i + 1, len(TEXTS)):
        print(f"{cosine(vectors[i], vectors[j]):+.3f}  {TEXTS[i]!r} ~ {TEXTS[j]!r}")

observer.end()
path = observer.flush()
print(f"Export written to {path}")
