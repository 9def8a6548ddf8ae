"""Under ``opentelemetry-instrument``, user code that calls ``observe()`` and
never flushes: the file written at exit is named after the user's session.
``--end`` ends the session first. Prints the session id.
"""

from __future__ import annotations

import sys

from openai import OpenAI

from aiobs_otel import observer

session_id = observer.observe(session_name="user-run")
OpenAI().chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
)
if "--end" in sys.argv:
    observer.end()
print(session_id)
