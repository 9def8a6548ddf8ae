"""Attribute names written on spans and metrics, in one place.

The GenAI names follow the current ("development") OpenTelemetry GenAI semantic
conventions. We keep our own string constants rather than importing them from
``opentelemetry-semantic-conventions``, which marks several of them deprecated
and renames them between releases.

``aiobs.*`` names carry what the GenAI conventions have no name for: the
``@observe`` function data, session labels and the Veo operation lifecycle.
"""

from __future__ import annotations

# --- GenAI: identity of the call -------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"

# --- GenAI: request ----------------------------------------------------------
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"

# --- GenAI: response ---------------------------------------------------------
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"

# --- GenAI: usage ------------------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"

# --- GenAI: content (JSON strings, only when content capture is on) ----------
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"

# --- GenAI: metrics ----------------------------------------------------------
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_TIME_PER_OUTPUT_CHUNK = "gen_ai.client.operation.time_per_output_chunk"

# --- General conventions -----------------------------------------------------
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
CODE_FILE_PATH = "code.file.path"
CODE_LINE_NUMBER = "code.line.number"
CODE_FUNCTION_NAME = "code.function.name"
SESSION_ID = "session.id"

# --- aiobs: @observe functions -----------------------------------------------
AIOBS_FUNCTION_ARGS = "aiobs.function.args"
AIOBS_FUNCTION_KWARGS = "aiobs.function.kwargs"
AIOBS_FUNCTION_RESULT = "aiobs.function.result"
AIOBS_ENH_PROMPT = "aiobs.enh_prompt"
AIOBS_ENH_PROMPT_ID = "aiobs.enh_prompt_id"
AIOBS_AUTO_ENHANCE_AFTER = "aiobs.auto_enhance_after"

# --- aiobs: session labels ---------------------------------------------------
# A label ``team=ml`` becomes the attribute ``aiobs.label.team="ml"`` on the
# Resource (labels known when the provider is built) and on every local root
# span (the labels current when that trace started).
AIOBS_LABEL_PREFIX = "aiobs.label."

# --- aiobs: provider payloads the GenAI conventions do not name --------------
# JSON strings holding request/response details for the ObservabilityExport
# event that have no semantic-convention attribute (e.g. the Veo config).
AIOBS_REQUEST_EXTRA = "aiobs.request.extra"
AIOBS_RESPONSE_EXTRA = "aiobs.response.extra"
# On a span that reports the end of an earlier call (a Veo operation seen done
# by a later poll): that call's span id (16 hex). The JSON export merges the
# later span's response into the earlier event when both are in one flush.
AIOBS_COMPLETES_SPAN_ID = "aiobs.completes.span_id"
# JSON object of request parameters without a GenAI name (e.g. OpenAI's
# ``tool_choice``, ``response_format``): the event's ``request.other``.
AIOBS_REQUEST_PARAMS = "aiobs.request.params"

# Instrumentation scope names: only spans from these scopes become events in
# the ObservabilityExport (spans of other instrumentations are bridged over).
SCOPE_PREFIX = "aiobs_otel"
SCOPE_FUNCTIONS = "aiobs_otel.observe"
# Scopes whose every span (in a session) leaves a record for the JSON export:
# they need no parent link kept (see processors.SessionSpanProcessor).
RECORDED_SCOPES = frozenset({SCOPE_FUNCTIONS, "aiobs_otel.openai", "aiobs_otel.genai"})
# Evaluation spans (aiobs.span.kind="evaluation"): attached to the evaluated
# event in the JSON export, not events of their own.
SCOPE_EVALUATIONS = "aiobs_otel.evaluations"

# =============================================================================
# Names shared by the llmops-observability features (span kinds, trace context,
# cost, evaluations, HTTP, SQS). Defined here first so that every part agrees.
# =============================================================================

# --- span kinds: @observe(kind=...) ------------------------------------------
# Our own kind of every @observe span: "function" (default), "generation",
# "agent", "tool", "retriever"; and "evaluation", "transaction", "crawl",
# "crawl_page", "crawl_event" for the spans those features open. Provider spans
# carry no aiobs.span.kind: their gen_ai.operation.name says what they are.
AIOBS_SPAN_KIND = "aiobs.span.kind"
# Phoenix / OpenInference reads this for its span-kind view: LLM, EMBEDDING,
# AGENT, TOOL, RETRIEVER, CHAIN, EVALUATOR.
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
# @observe extras (JSON strings): locals at return, self's attributes, the
# decorator's metadata.
AIOBS_FUNCTION_LOCALS = "aiobs.function.locals"
AIOBS_FUNCTION_SELF = "aiobs.function.self"
AIOBS_SPAN_METADATA = "aiobs.span.metadata"

# --- trace context (who and what a trace is about) ---------------------------
# On every span started inside the trace context. session.id stays the aiobs
# session; llmops's session / conversation id is gen_ai.conversation.id.
USER_ID = "user.id"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
AIOBS_TRACE_NAME = "aiobs.trace.name"
AIOBS_TRACE_TAGS = "aiobs.trace.tags"  # string[]
AIOBS_TRACE_METADATA = "aiobs.trace.metadata"  # JSON object
# Only on the span that opened the trace context (JSON values):
AIOBS_TRACE_INPUT = "aiobs.trace.input"
AIOBS_TRACE_OUTPUT = "aiobs.trace.output"
# The OpenInference names Phoenix reads for its users / tags / metadata views
# and for a span's input and output.
OPENINFERENCE_USER_ID = "user.id"
OPENINFERENCE_TAGS = "tag.tags"
OPENINFERENCE_METADATA = "metadata"
OPENINFERENCE_INPUT_VALUE = "input.value"
OPENINFERENCE_INPUT_MIME_TYPE = "input.mime_type"
OPENINFERENCE_OUTPUT_VALUE = "output.value"
OPENINFERENCE_OUTPUT_MIME_TYPE = "output.mime_type"

# --- cost (the GenAI conventions' proposal: gen_ai.usage.cost.*) -------------
GEN_AI_USAGE_COST_AMOUNT = "gen_ai.usage.cost.amount"  # double
GEN_AI_USAGE_COST_CURRENCY = "gen_ai.usage.cost.currency"  # ISO 4217, "USD"
GEN_AI_USAGE_COST_SOURCE = "gen_ai.usage.cost.source"  # "local" | "provider"

# --- evaluations (the GenAI conventions' gen_ai.evaluation.result event) ------
GEN_AI_EVALUATION_RESULT_EVENT = "gen_ai.evaluation.result"
GEN_AI_EVALUATION_NAME = "gen_ai.evaluation.name"
GEN_AI_EVALUATION_SCORE_VALUE = "gen_ai.evaluation.score.value"
GEN_AI_EVALUATION_SCORE_LABEL = "gen_ai.evaluation.score.label"
GEN_AI_EVALUATION_EXPLANATION = "gen_ai.evaluation.explanation"

# --- aiobs: which API a provider span traced ---------------------------------
# The aiobs event's ``api`` (``chat.completions.create``, ``responses.create``,
# ``models.embed_content``...): several APIs share one gen_ai.operation.name.
AIOBS_API = "aiobs.api"

# --- cost: the parts behind gen_ai.usage.cost.amount (aiobs.*, same currency) --
# Each part is present only when the price table prices it separately; the
# parts that are present add up to the amount. "input" is the uncached input.
AIOBS_USAGE_COST_INPUT = "aiobs.usage.cost.input"  # double
AIOBS_USAGE_COST_CACHED_INPUT = "aiobs.usage.cost.cached_input"  # double
AIOBS_USAGE_COST_OUTPUT = "aiobs.usage.cost.output"  # double (non-reasoning output)
AIOBS_USAGE_COST_REASONING = "aiobs.usage.cost.reasoning"  # double
AIOBS_USAGE_COST_REQUEST = "aiobs.usage.cost.request"  # double (a per-request fee)
# Which price-table entry priced the call: "<provider id>/<model id>" of
# genai-prices ("openai/gpt-4o-mini"), or "override/<model>" for a user price.
AIOBS_USAGE_COST_PRICED_AS = "aiobs.usage.cost.priced_as"

# --- evaluations: what the GenAI event has no name for -----------------------
# On the evaluation span (aiobs.span.kind="evaluation", a child of the span it
# evaluates). evaluated_span_id: the 16-hex id of the evaluated span, or the
# string the caller passed when it names no span we know (llmops accepts any).
AIOBS_EVALUATION_EVALUATED_SPAN_ID = "aiobs.evaluation.evaluated_span_id"
AIOBS_EVALUATION_SOURCE = "aiobs.evaluation.source"  # "manual" | "llm_judge"
AIOBS_EVALUATION_METADATA = "aiobs.evaluation.evaluator_metadata"  # JSON object
AIOBS_EVALUATION_ERROR = "aiobs.evaluation.error"  # "ExcType: message" of a failed judgement
# --- outbound HTTP, inbound ASGI, traces across services ----------------------
# On the contrib HTTP client spans (llmops's metadata of the same meaning):
# "requests", "httpx", "httpx-async", "urllib"; and "sync" / "async".
AIOBS_HTTP_CLIENT_LIBRARY = "aiobs.http.client.library"
AIOBS_HTTP_CALL_MODE = "aiobs.http.call_mode"
# Opt-in (instrument_http(body_preview_chars=N)): the request body, redacted and cut.
AIOBS_HTTP_REQUEST_BODY_PREVIEW = "aiobs.http.request.body.preview"
# @track_external_service: the downstream service's name (OpenTelemetry's
# peer.service) and llmops's transport ("http", "grpc", "sqs"...).
PEER_SERVICE = "peer.service"
AIOBS_EXTERNAL_TRANSPORT = "aiobs.external.transport"
# LLMOps-style middleware: the service name given to it (service.name itself is
# a Resource attribute, fixed per process: set OTEL_SERVICE_NAME).
AIOBS_SERVICE_NAME = "aiobs.service.name"

# --- span kinds, trace context, transactions, crawls: what the names above leave out
# Instrumentation scope of the trace, transaction and crawl spans (events of
# the JSON export, like @observe functions).
SCOPE_TRACING = "aiobs_otel.tracing"
# On a generation span: true when an LLM span below it (a provider call) reported
# the token usage, which the generation then leaves to it (no double count).
AIOBS_USAGE_REPORTED_BELOW = "aiobs.usage.reported_below"
# Transactions: llmops's unique id (uuid4 hex) and the status given at its end.
AIOBS_TRANSACTION_ID = "aiobs.transaction.id"
AIOBS_TRANSACTION_STATUS = "aiobs.transaction.status"
# Crawl sessions, pages and events (llmops's crawl.* counters, namespaced).
AIOBS_CRAWL_PROVIDER = "aiobs.crawl.provider"
AIOBS_CRAWL_QUERY = "aiobs.crawl.query"  # JSON, secrets redacted
AIOBS_CRAWL_PAGES_OK = "aiobs.crawl.pages_ok"
AIOBS_CRAWL_PAGES_FAIL = "aiobs.crawl.pages_fail"
AIOBS_CRAWL_EVENTS_TOTAL = "aiobs.crawl.events_total"
AIOBS_CRAWL_EVENTS_FAIL = "aiobs.crawl.events_fail"
AIOBS_CRAWL_EVENT_TYPE = "aiobs.crawl.event_type"
AIOBS_CRAWL_STATUS = "aiobs.crawl.status"  # "ok" | "failed"
AIOBS_CRAWL_FAILURE_REASON = "aiobs.crawl.failure_reason"
URL_FULL = "url.full"  # secret query values and credentials replaced
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"

# --- Langfuse (aiobs_otel.langfuse): what Langfuse reads that the names above leave out
# Written on every span only when Langfuse is configured (LANGFUSE_* or configure()).
# Langfuse already reads user.id, tag.tags, input.value / output.value,
# openinference.span.kind and gen_ai.*; it reads session.id before
# gen_ai.conversation.id, so llmops's session_id needs its own name.
LANGFUSE_SESSION_ID = "langfuse.session.id"
LANGFUSE_TRACE_NAME = "langfuse.trace.name"
LANGFUSE_ENVIRONMENT = "langfuse.environment"
# Resource attributes naming the environment (Langfuse reads them after langfuse.environment).
DEPLOYMENT_ENVIRONMENT_NAME = "deployment.environment.name"
DEPLOYMENT_ENVIRONMENT = "deployment.environment"
