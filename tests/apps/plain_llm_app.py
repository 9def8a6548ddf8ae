"""A plain LLM app: no observability code at all.

Run it as a user would::

    opentelemetry-instrument python plain_llm_app.py

The clients read their endpoints and keys from the environment
(OPENAI_BASE_URL / OPENAI_API_KEY, GOOGLE_GEMINI_BASE_URL / GEMINI_API_KEY).
"""

from __future__ import annotations

import os

from google import genai
from openai import OpenAI


def main() -> None:
    openai_client = OpenAI()
    chat = openai_client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello."},
        ],
        temperature=0.2,
        max_tokens=20,
    )
    print("chat:", chat.choices[0].message.content)

    embedding = openai_client.embeddings.create(model="text-embedding-3-small", input="hello")
    print("embedding dimensions:", len(embedding.data[0].embedding))

    gemini = genai.Client(api_key=os.environ["GEMINI_API_KEY"])
    answer = gemini.models.generate_content(model="gemini-2.0-flash", contents="Say hi.")
    print("gemini:", answer.text)


if __name__ == "__main__":
    main()
