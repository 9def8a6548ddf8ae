"""Veo video generation with operation polling, as in the aiobs usage guide.

    GOOGLE_CLOUD_PROJECT=my-project GOOGLE_CLOUD_LOCATION=us-central1 \\
        python examples/veo.py                               # Vertex AI, ADC
    AIOBS_EXAMPLES_STANDIN=1 python examples/veo.py          # offline

google-genai 3.x serves generate_videos on Vertex AI only. The export holds
one ``models.generate_videos`` event: the request, and the final state the
polling saw (done, the generated videos' URIs and mime types; never bytes).
"""

import time

from _clients import POLL_SECONDS, vertex_client
from google.genai import types

from aiobs_otel import observer

observer.observe(session_name="veo")

client = vertex_client()
operation = client.models.generate_videos(
    model="veo-3.1-generate-preview",
    source=types.GenerateVideosSource(
        prompt="A cinematic shot of waves crashing on a beach at sunset"
    ),
    config=types.GenerateVideosConfig(aspect_ratio="16:9", resolution="720p"),
)

# Poll until the video is ready.
while not operation.done:
    time.sleep(POLL_SECONDS)
    operation = client.operations.get(operation)

videos = operation.result.generated_videos if operation.result else None
print(f"{len(videos or [])} video(s) generated")

observer.end()
path = observer.flush()
print(f"Export written to {path}")
