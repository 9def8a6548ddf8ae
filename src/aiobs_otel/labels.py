"""Session label rules: validation, labels from the environment, system labels.

Precedence when a session starts: system < environment < explicit. Error
messages begin with aiobs's own wording (users match on them); the rule
follows where aiobs says less.
"""

from __future__ import annotations

import os
import platform
import re
import socket
from collections.abc import Mapping

from .version import __version__

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_VALUE_LENGTH = 256
MAX_LABELS = 64
RESERVED_PREFIX = "aiobs_"
ENV_PREFIX = "AIOBS_LABEL_"


def validate_key(key: object) -> str:
    """Return ``key`` if it may name a user label; raise ``ValueError`` naming the rule."""
    if not isinstance(key, str):
        raise ValueError(f"Label key must be a string, got {type(key).__name__}")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(
            f"Label key '{key}' uses reserved prefix '{RESERVED_PREFIX}' (system labels only)"
        )
    if not KEY_PATTERN.match(key):
        raise ValueError(
            f"Label key '{key}' is invalid. Keys must match pattern ^[a-z][a-z0-9_]{{0,62}}$ "
            "(a lowercase letter, then lowercase letters, digits or '_', 63 at most)"
        )
    return key


def validate_value(key: str, value: object) -> str:
    """Return ``value`` if it may be a label value; raise ``ValueError`` naming the rule."""
    if not isinstance(value, str):
        raise ValueError(f"Label value for '{key}' must be a string, got {type(value).__name__}")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(
            f"Label value for '{key}' exceeds maximum length of {MAX_VALUE_LENGTH} characters "
            f"(got {len(value)})"
        )
    return value


def validate_labels(labels: object) -> dict[str, str]:
    """Validate a dict of user labels (at most ``MAX_LABELS``) and return a copy."""
    if not isinstance(labels, Mapping):
        raise ValueError(f"Labels must be a dictionary, got {type(labels).__name__}")
    check_count(labels)
    return {validate_key(k): validate_value(k, v) for k, v in labels.items()}


def check_count(labels: Mapping[str, str]) -> None:
    """Raise ``ValueError`` when ``labels`` (system labels included) are too many."""
    if len(labels) > MAX_LABELS:
        raise ValueError(f"Too many labels ({len(labels)}). Maximum allowed is {MAX_LABELS}.")


def check_room_for(labels: Mapping[str, str], key: str) -> None:
    """Raise ``ValueError`` when adding ``key`` would exceed the maximum."""
    if key not in labels and len(labels) >= MAX_LABELS:
        raise ValueError(
            f"Cannot add label. Maximum of {MAX_LABELS} labels already reached. "
            "(System labels count too.)"
        )


def check_removable(key: object) -> None:
    if isinstance(key, str) and key.startswith(RESERVED_PREFIX):
        raise ValueError(f"Cannot remove system label '{key}'")


def env_labels(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Labels from ``AIOBS_LABEL_<KEY>=value``: key lowercased, invalid keys skipped,
    values cut to the maximum length."""
    source = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name, value in source.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if KEY_PATTERN.match(key) and not key.startswith(RESERVED_PREFIX):
            found[key] = value[:MAX_VALUE_LENGTH]
    return found


def system_labels() -> dict[str, str]:
    """The ``aiobs_*`` labels every session carries."""
    return {
        "aiobs_sdk_version": __version__,
        "aiobs_python_version": platform.python_version(),
        "aiobs_hostname": socket.gethostname()[:MAX_VALUE_LENGTH],
        "aiobs_os": platform.system().lower(),
    }


def initial_labels(explicit: Mapping[str, str] | None) -> dict[str, str]:
    """The labels a new session starts with: system < environment < explicit.

    As in aiobs, the explicit labels are validated (and at most ``MAX_LABELS``);
    environment labels are taken as found.
    """
    user = env_labels()
    if explicit is not None:
        user.update(validate_labels(explicit))
    return {**system_labels(), **user}
