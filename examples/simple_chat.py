"""Simple chat completion (OpenAI), as in the aiobs usage guide.

OPENAI_API_KEY=sk-... python examples/simple_chat.py
AIOBS_EXAMPLES_STANDIN=1 python examples/simple_chat.py    # offline
"""

from _clients import openai_client

from aiobs_otel import observer

observer.observe(session_name="simple-chat")

client = openai_client()
response = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "In one sentence, what is observability?"},
    ],
    temperature=0.2,
)
print(response.choices[0].message.content)

observer.end()
path = observer.flush()  # ./<session-id>.json, or LLM_OBS_OUT
print(f"Export written to {path}")
