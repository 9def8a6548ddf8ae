"""An aiobs user's tests of their own pipeline, written against aiobs 0.1.5.

They run the pipeline, flush the trace, load the JSON and assert on the
fields aiobs writes. ``tests/test_aiobs_user_suite.py`` runs this module
unchanged under aiobs 0.1.5, and under aiobs-otel with the import line
changed: the one change moving over asks for. The clients read their
endpoints and keys from the environment, as in the user's CI.
"""

import json

import openai
import pytest
from aiobs import observe, observer
from google import genai

client = openai.OpenAI(max_retries=0)
gemini = genai.Client()

SYSTEM = {"role": "system", "content": "Summarize in one line."}


@observe
def summarize(text):
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[SYSTEM, {"role": "user", "content": text}], temperature=0
    )
    return reply.choices[0].message.content


@observe
def embed(texts):
    return [item.embedding for item in client.embeddings.create(
        model="text-embedding-3-small", input=texts).data]  # fmt: skip


@observe(name="pipeline")
def run_pipeline(topic):
    summary = summarize(f"Everything about {topic}")
    vectors = embed([summary])
    return {"summary": summary, "dimensions": len(vectors[0])}


@pytest.fixture
def trace(tmp_path):
    observer.observe(session_name="pipeline-test", labels={"suite": "ci"})
    path = tmp_path / "trace.json"

    def flush():
        observer.end()
        observer.flush(path=str(path))
        return json.loads(path.read_text())

    yield flush
    observer.reset()


def test_the_summary_call_is_traced(trace):
    summary = summarize("APIs let programs talk to each other.")
    data = trace()
    (event,) = data["events"]
    assert (event["provider"], event["api"]) == ("openai", "chat.completions.create")
    assert event["request"]["model"] == "gpt-4o-mini"
    assert event["request"]["messages"][0] == SYSTEM
    assert event["request"]["messages"][1]["content"] == "APIs let programs talk to each other."
    assert event["request"]["temperature"] == 0
    assert event["response"]["text"] == summary
    usage = event["response"]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert event["error"] is None and event["duration_ms"] >= 0


def test_the_pipeline_tree(trace):
    result = run_pipeline("APIs")
    data = trace()
    functions = {f["name"]: f for f in data["function_events"]}
    assert set(functions) == {"pipeline", "summarize", "embed"}
    assert functions["pipeline"]["args"] == ["APIs"]
    assert functions["pipeline"]["result"] == result
    (root,) = data["trace_tree"]
    assert root["name"] == "pipeline"
    assert [child["name"] for child in root["children"]] == ["summarize", "embed"]
    assert [c["api"] for c in root["children"][0]["children"]] == ["chat.completions.create"]
    chat, embeddings = data["events"]
    assert chat["parent_span_id"] == functions["summarize"]["span_id"]
    assert embeddings["response"]["embedding_dimensions"] == result["dimensions"]
    assert len(embeddings["response"]["data"][0]["embedding"]) == result["dimensions"]
    assert embeddings["request"]["input"] == [result["summary"]]
    assert data["sessions"][0]["labels"]["suite"] == "ci"


def test_a_failed_call_is_recorded(trace):
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="gpt-4o-error-429", messages=[{"role": "user", "content": "hi"}]
        )
    (event,) = trace()["events"]
    assert event["error"].startswith("RateLimitError: Error code: 429")
    assert event["response"] is None


def test_gemini_answers_are_traced(trace):
    reply = gemini.models.generate_content(model="gemini-2.0-flash", contents="Explain APIs")
    (event,) = trace()["events"]
    assert (event["provider"], event["api"]) == ("gemini", "models.generate_content")
    assert event["request"]["contents"] == "Explain APIs"
    assert event["response"]["text"] == reply.text
    usage = event["response"]["usage"]
    assert usage["prompt_token_count"] == reply.usage_metadata.prompt_token_count
    assert usage["total_token_count"] == reply.usage_metadata.total_token_count
    (candidate,) = event["response"]["candidates"]
    assert candidate["content"]["parts"][0]["text"] == reply.text
    assert candidate["finish_reason"] == "STOP"


def test_labels_follow_the_rules(trace):
    observer.add_label("run_id", "42")
    assert observer.get_labels()["run_id"] == "42"
    with pytest.raises(ValueError, match="Label key 'Run-ID' is invalid"):
        observer.add_label("Run-ID", "x")
    with pytest.raises(ValueError, match="Cannot remove system label"):
        observer.remove_label("aiobs_os")
    assert trace()["sessions"][0]["labels"]["run_id"] == "42"
