#!/usr/bin/env bash
# Set up .venv and run the offline demo: no API key, no network.
source "$(dirname "$0")/_venv.sh"
make_venv .venv -e ".[openai,gemini,view]"
exec .venv/bin/aiobs-otel demo "$@"
