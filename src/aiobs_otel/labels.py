"""Session label rules: validation, labels from the environment, system labels.

Precedence when a session starts: system < environment < explicit.
"""

from __future__ import annotations

import os
import platform
import re
import socket
from collections.abc import Mapping

from ._version import __version__

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_VALUE_LENGTH = 256
MAX_LABELS = 64
RESERVED_PREFIX = "aiobs_"
ENV_PREFIX = "AIOBS_LABEL_"


def validate_key(key: object) -> str:
    """Return ``key`` if it may name a user label; raise ``ValueError`` naming the rule."""
    if not isinstance(key, str):
        raise ValueError(f"label key {key!r} must be a string, got {type(key).__name__}")
    if key.startswith(RESERVED_PREFIX):
        raise ValueError(
            f"label key {key!r} uses the reserved prefix {RESERVED_PREFIX!r} (system labels only)"
        )
    if not KEY_PATTERN.match(key):
        raise ValueError(
            f"label key {key!r} is invalid: keys must match ^[a-z][a-z0-9_]{{0,62}}$ "
            "(lowercase letter first, then lowercase letters, digits or '_', 63 at most)"
        )
    return key


def validate_value(key: str, value: object) -> str:
    """Return ``value`` if it may be a label value; raise ``ValueError`` naming the rule."""
    if not isinstance(value, str):
        raise ValueError(f"label {key!r}: value must be a string, got {type(value).__name__}")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(
            f"label {key!r}: value is {len(value)} characters, the maximum is {MAX_VALUE_LENGTH}"
        )
    return value


def validate_labels(labels: object) -> dict[str, str]:
    """Validate a mapping of user labels and return it as a plain dict."""
    if not isinstance(labels, Mapping):
        raise ValueError(f"labels must be a mapping of str to str, got {type(labels).__name__}")
    checked = {validate_key(k): validate_value(k, v) for k, v in labels.items()}
    check_count(checked)
    return checked


def check_count(labels: Mapping[str, str]) -> None:
    """Raise ``ValueError`` when a session would hold more labels than allowed."""
    if len(labels) > MAX_LABELS:
        raise ValueError(f"a session holds at most {MAX_LABELS} labels, got {len(labels)}")


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

    Raises ``ValueError`` for invalid explicit labels, or when the user labels
    (environment and explicit together) exceed the maximum count.
    """
    user = env_labels()
    if explicit is not None:
        user.update(validate_labels(explicit))
    check_count(user)
    return {**system_labels(), **user}
