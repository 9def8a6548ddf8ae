"""The google-genai SDK: generate_content, generate_videos (Veo), embed_content."""
