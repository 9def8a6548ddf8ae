"""Gemini generate_content, as in the aiobs usage guide.

GOOGLE_API_KEY=... python examples/gemini.py
AIOBS_EXAMPLES_STANDIN=1 python examples/gemini.py    # offline
"""

from _clients import gemini_client

from aiobs_otel import observer

observer.observe(session_name="gemini")

client = gemini_client()
response = client.models.generate_content(
    model="gemini-2.0-flash",
    contents="Explain quantum computing in two sentences.",
)
print(response.text)

observer.end()
path = observer.flush()
print(f"Export written to {path}")
