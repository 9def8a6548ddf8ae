"""What every string aiobs-otel puts on a span goes through before the OTLP
encoder sees it.

* **Encodable**: a lone surrogate (from badly decoded user data: a model
  name, a label, an error message) would make the OTLP encoder fail on the
  whole batch ("Failed to encode span batch"); it becomes U+FFFD. ASCII
  strings (nearly all of them) are passed by one ``str.isascii()`` test.
* **Masked**: the user's mask (``aiobs_otel.set_mask``), when one is set.
* **Errors** (``error_message``, ``record_error``): the exception message
  with the secrets a client holds scrubbed (and every secret value an
  instrumentor saw, see ``redaction.remember_secrets``), and the secrets it
  quotes (``?token=``, ``https://user:pw@``, ``Bearer ...``) redacted.

Records for the JSON export keep the unmasked (but scrubbed, encodable) text:
the export is masked once, as a whole, at flush.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry.trace import Span, Status, StatusCode

from .masking import Mask, apply, current_mask
from .redaction import known_secrets, redact_text, scrub
from .values import clean_text


def encodable_attributes(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``attributes`` with every string value valid UTF-8 (no mask: metrics)."""
    if _plain(attributes):
        return attributes
    return {key: _value(item, None) for key, item in attributes.items()}


def outgoing_attributes(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``attributes`` as they may leave: strings encodable, and masked."""
    mask = current_mask()
    if mask is None and _plain(attributes):
        return attributes
    return {key: _value(item, mask) for key, item in attributes.items()}


def outgoing_text(text: str) -> str:
    """One string attribute (a status description, a user id) as it may leave."""
    text = clean_text(text)
    mask = current_mask()
    return apply(mask, text) if mask is not None else text


def _plain(attributes: Mapping[str, Any]) -> bool:
    """True when no value needs work: the fast path (ASCII strings, numbers)."""
    for item in attributes.values():
        kind = type(item)
        if kind is str:
            if not item.isascii():
                return False
        elif kind is list or kind is tuple:
            for member in item:  # attribute sequences are flat
                if type(member) is str and not member.isascii():
                    return False
    return True


def _value(item: Any, mask: Mask | None) -> Any:
    if isinstance(item, str):
        item = clean_text(item)
        return apply(mask, item) if mask is not None else item
    if isinstance(item, (list, tuple)):
        return [_value(member, mask) for member in item]
    return item


# --- errors ---------------------------------------------------------------------------


def error_message(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """``str(error)``, safe to record (see the module doc); unmasked."""
    try:
        text = str(error)
    except Exception:
        text = f"<unprintable {type(error).__name__}>"
    return safe_error_text(text, secrets)


def safe_error_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text about a failure with its secrets removed; encodable; unmasked."""
    text = scrub(text, (*secrets, *known_secrets()))
    return clean_text(redact_text(text))


def record_error(span: Span, error: BaseException, secrets: Iterable[str] = ()) -> str:
    """The conventions' ``exception`` event and the ERROR status on ``span``,
    both safe (see the module doc). Returns the message, unmasked, for the record."""
    secrets = tuple(secrets)
    message = error_message(error, secrets)
    kind = type(error)
    module = kind.__module__
    stack = "".join(traceback.format_exception(kind, error, error.__traceback__))
    span.add_event(
        "exception",
        outgoing_attributes(
            {
                "exception.type": kind.__qualname__
                if module == "builtins"
                else f"{module}.{kind.__qualname__}",
                "exception.message": message,
                "exception.stacktrace": safe_error_text(stack, secrets),
                "exception.escaped": "False",
            }
        ),
    )
    span.set_status(Status(StatusCode.ERROR, outgoing_text(message)))
    return message


def set_error_status(span: Span, message: str, secrets: Iterable[str] = ()) -> None:
    """The ERROR status with a description that is safe to send."""
    span.set_status(Status(StatusCode.ERROR, outgoing_text(safe_error_text(message, secrets))))
