"""Transactions: an explicit start / end boundary with a unique id (llmops section 7).

``start_transaction`` opens a span of kind ``transaction`` below the current
span, makes it current (spans started afterwards in the same context, such as
outbound HTTP calls, are its children) and returns a unique id (``uuid4().hex``).
``end_transaction(id)`` ends it: ``True``; ``False`` for an id that was never
started or has ended already. ``get_open_transaction_ids()`` lists those not
ended yet. ``transaction(...)`` (a ``with`` block) and ``@track_transaction``
(functions and coroutines) end it themselves, with the error if one escapes.

At most ``MAX_OPEN`` transactions stay open: beyond, the oldest is ended with
status ``abandoned`` (a warning says so), so a loop that never ends its
transactions cannot grow without bound.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from .. import attributes as A
from .. import kinds
from ..limits import limited_json, span_io_limit
from ..trace_context import checked_metadata, metadata_json
from ._spans import OpenSpan, TracingRecord, start_attributes

logger = logging.getLogger("aiobs_otel")
MAX_OPEN = 10_000
F = TypeVar("F", bound=Callable[..., Any])

_lock = threading.Lock()
_open: OrderedDict[str, OpenSpan] = OrderedDict()


def start_transaction(
    name: str, *, metadata: Mapping[str, Any] | None = None, input_data: Any = None
) -> str:
    """Open a transaction; return its id. Always an id (also without a tracer
    provider: your ``if txid:`` block still runs). ``ValueError`` for a name
    that is not a non-empty string or metadata that is not a dict."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a transaction needs a name (a non-empty string), got {name!r}")
    own = checked_metadata(metadata)
    transaction_id = uuid.uuid4().hex
    record = TracingRecord(kinds.TRANSACTION, name, metadata=own or None)
    record.extra = {"transaction_id": transaction_id, "status": None}
    attributes = start_attributes(kinds.TRANSACTION, name)
    attributes[A.AIOBS_TRANSACTION_ID] = transaction_id
    if own:
        attributes[A.AIOBS_SPAN_METADATA] = metadata_json(own)
    if input_data is not None:
        text = limited_json(input_data, span_io_limit())
        record.input = json.loads(text)
        attributes[A.OPENINFERENCE_INPUT_VALUE] = text
        attributes[A.OPENINFERENCE_INPUT_MIME_TYPE] = "application/json"
    opened = OpenSpan(record, attributes)
    opened.make_current()
    with _lock:
        _open[transaction_id] = opened
        abandoned = _open.popitem(last=False) if len(_open) > MAX_OPEN else None
    if abandoned is not None:
        logger.warning(
            "aiobs-otel: more than %d transactions open; the oldest (%s) is ended as abandoned",
            MAX_OPEN, abandoned[0],
        )  # fmt: skip
        _finish(abandoned[1], "abandoned", None, "abandoned: too many open transactions")
    return transaction_id


def end_transaction(
    transaction_id: str,
    *,
    status: str = "success",
    output_data: Any = None,
    error: str | None = None,
) -> bool:
    """End a transaction: ``True``; ``False`` when ``transaction_id`` names no
    open transaction (never started, or ended already). ``status="error"`` (or
    an ``error``) marks its span failed."""
    with _lock:
        opened = _open.pop(transaction_id, None) if isinstance(transaction_id, str) else None
    if opened is None:
        return False
    if not isinstance(status, str) or not status:
        status = "success"
    if error is None and status == "error":
        error = "error"
    return _finish(opened, status, output_data, None if error is None else str(error))


def _finish(opened: OpenSpan, status: str, output: Any, error: str | None) -> bool:
    attributes: dict[str, Any] = {A.AIOBS_TRANSACTION_STATUS: status}
    opened.record.extra["status"] = status
    if output is not None:
        text = limited_json(output, span_io_limit())
        opened.record.output = json.loads(text)
        attributes[A.OPENINFERENCE_OUTPUT_VALUE] = text
        attributes[A.OPENINFERENCE_OUTPUT_MIME_TYPE] = "application/json"
    return opened.end(attributes, error=error)


def get_open_transaction_ids() -> list[str]:
    """Ids of the transactions started and not ended yet, oldest first."""
    with _lock:
        return list(_open)


class Transaction:
    """What ``with transaction(...) as tx`` gives: ``tx.id``, ``tx.set_output``."""

    def __init__(self, transaction_id: str) -> None:
        self.id = transaction_id
        self.output: Any = None
        self.status = "success"

    def set_output(self, value: Any) -> None:
        self.output = value


@contextmanager
def transaction(
    name: str, *, metadata: Mapping[str, Any] | None = None, input_data: Any = None
) -> Iterator[Transaction]:
    """A transaction around a ``with`` block; an exception ends it with status
    ``error`` and is re-raised unchanged."""
    handle = Transaction(start_transaction(name, metadata=metadata, input_data=input_data))
    try:
        yield handle
    except BaseException as exc:
        end_transaction(handle.id, status="error", error=f"{type(exc).__name__}: {exc}")
        raise
    end_transaction(handle.id, status=handle.status, output_data=handle.output)


def track_transaction(
    func: F | None = None, *, name: str | None = None, metadata: Mapping[str, Any] | None = None
) -> Any:
    """Each call of the function (or coroutine) is a transaction; its result
    is the output."""
    checked_metadata(metadata)

    def decorate(target: F) -> F:
        label = name or getattr(target, "__name__", None) or "transaction"
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with transaction(label, metadata=metadata) as tx:
                    tx.output = await target(*args, **kwargs)
                    return tx.output

            return run_async  # type: ignore[return-value]

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with transaction(label, metadata=metadata) as tx:
                tx.output = target(*args, **kwargs)
                return tx.output

        return run  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
