"""Label calls on the active session (aiobs's API), mixed into ``Observer``.

The 64-label cap counts the system labels, as in aiobs; errors begin with
aiobs's wording (see ``labels``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from . import labels as label_rules
from .sessions import SessionRecord, SpanStamp


class SessionLabels:
    """``add_label``, ``set_labels``, ``remove_label``, ``get_labels``."""

    _lock: threading.RLock
    _active: SessionRecord | None
    _stamp: SpanStamp | None

    def add_label(self, key: str, value: str) -> None:
        self._require_session()  # first, as in aiobs: no session beats a bad label
        label_rules.validate_key(key)
        label_rules.validate_value(key, value)

        def add(current: dict[str, str]) -> dict[str, str]:
            label_rules.check_room_for(current, key)
            return {**current, key: value}

        self._update_labels(add)

    def set_labels(self, labels: dict[str, str], merge: bool = True) -> None:
        """Merge ``labels`` into the session's, or (``merge=False``) replace all
        user labels; system labels are kept either way."""
        self._require_session()
        checked = label_rules.validate_labels(labels)

        def update(current: dict[str, str]) -> dict[str, str]:
            if merge:
                merged = {**current, **checked}
            else:
                system = {
                    k: v for k, v in current.items() if k.startswith(label_rules.RESERVED_PREFIX)
                }
                merged = {**system, **checked}
            label_rules.check_count(merged)
            return merged

        self._update_labels(update)

    def remove_label(self, key: str) -> None:
        self._require_session()
        label_rules.check_removable(key)
        self._update_labels(lambda current: {k: v for k, v in current.items() if k != key})

    def get_labels(self) -> dict[str, str]:
        with self._lock:
            return dict(self._require_session().labels)

    def _update_labels(self, change: Callable[[dict[str, str]], dict[str, str]]) -> None:
        with self._lock:
            session = self._require_session()
            session.labels = change(session.labels)
            self._stamp = SpanStamp.for_session(session)

    def _require_session(self) -> SessionRecord:
        active = self._active
        if active is None:
            raise RuntimeError("No active session. Call observe() first.")
        return active
