"""The boto3 SQS client: made off the application's thread, with short timeouts
and no botocore retries (the workers retry with their own backoff)."""

from __future__ import annotations

from typing import Any

from ...version import __version__
from ._config import SQSConfig

CONNECT_TIMEOUT = 2.0  # seconds; an unreachable endpoint fails fast and the spill takes over
READ_TIMEOUT = 10.0  # seconds for SQS to answer a SendMessageBatch


def make_client(config: SQSConfig) -> Any:
    """A boto3 SQS client for ``config`` (profile, region, endpoint). boto3 reads
    credentials its usual way: variables, profile, container or instance role."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(profile_name=config.profile, region_name=config.region)
    return session.client(
        "sqs",
        endpoint_url=config.endpoint_url,
        config=Config(
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=max(10, config.workers + 2),
            user_agent_extra=f"aiobs-otel/{__version__}",
        ),
    )


def error_code(error: BaseException) -> str:
    """A short name for a failed send, for logs: SQS's error code, or the exception's class."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


# Whole-batch refusals caused by one message (the workers then send the batch one
# message at a time, so only that message is rejected).
BAD_MESSAGE = frozenset({
    "InvalidParameterValue", "InvalidMessageContents", "AWS.SimpleQueueService.BatchRequestTooLong",
    "BatchRequestTooLong",
})  # fmt: skip

# Errors that retrying within the same second cannot fix: the workers give up
# the batch at once (it is spilled) and probe again later.
PERMANENT = frozenset({
    "AccessDenied", "AccessDeniedException", "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist", "InvalidClientTokenId", "UnrecognizedClientException",
    "SignatureDoesNotMatch", "InvalidAddress", "NoCredentialsError", "ProfileNotFound",
    "KMS.AccessDeniedException", "KmsAccessDenied",
})  # fmt: skip
