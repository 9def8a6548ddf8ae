"""The openai SDK: chat completions, embeddings, the Responses API."""
