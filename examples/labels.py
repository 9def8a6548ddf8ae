"""Session labels: from code, from AIOBS_LABEL_* variables, and updated
mid-session, as in the aiobs usage guide.

    OPENAI_API_KEY=sk-... python examples/labels.py
    AIOBS_EXAMPLES_STANDIN=1 python examples/labels.py    # offline

Labels become ``session.labels`` in the JSON export; for OTLP backends they
are ``aiobs.label.*`` attributes on each trace's root span (the labels current
when that trace began).
"""

import os

from _clients import openai_client

from aiobs_otel import observer

# Usually set in the shell or a .env file; explicit labels take precedence.
os.environ.setdefault("AIOBS_LABEL_TEAM", "ml-platform")
os.environ.setdefault("AIOBS_LABEL_ENVIRONMENT", "staging")

observer.observe(
    session_name="labels",
    labels={"environment": "production", "project": "recommendation-engine"},
)
print("environment:", observer.get_labels()["environment"])  # production: explicit wins

observer.add_label("user_tier", "enterprise")
observer.set_labels({"experiment_id": "exp-42", "feature_flag": "new_model"})
observer.remove_label("experiment_id")

client = openai_client()
client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Recommend one book."}]
)

print("labels:", observer.get_labels())  # includes aiobs_sdk_version, aiobs_os, ...
observer.end()
path = observer.flush()
print(f"Export written to {path}")
