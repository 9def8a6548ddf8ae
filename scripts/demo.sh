#!/usr/bin/env bash
# Set up and run the offline demo: no API key, no network.
source "$(dirname "$0")/_venv.sh" "openai,gemini,view"
exec "$VENV/bin/aiobs-otel" demo "$@"
