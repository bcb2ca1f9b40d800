"""Markers in memory: notes, put-once records, counters."""

from __future__ import annotations

import copy
from typing import Any

from tests.fakes.tables import Tables


class InMemoryMarkers:
    """The Markers port on a dict."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def put(self, marker: str, attributes: dict[str, Any], expires_at: int) -> None:
        """Write a marker, replacing any."""
        with self._t.lock:
            self._t.markers[marker] = {"marker": marker, **copy.deepcopy(attributes),
                                       "expires_at": expires_at}

    def put_once(self, marker: str, attributes: dict[str, Any], expires_at: int, now: int) -> bool:
        """Write a marker unless a live one exists; True if written."""
        with self._t.lock:
            held = self._t.markers.get(marker)
            if held is not None and not held.get("expires_at", now) < now:
                return False
            self._t.markers[marker] = {"marker": marker, **copy.deepcopy(attributes),
                                       "expires_at": expires_at}
            return True

    def count_up_to(self, marker: str, limit: int, expires_at: int) -> bool:
        """Add one to a counter unless it reached ``limit``."""
        with self._t.lock:
            held = self._t.markers.setdefault(marker, {"marker": marker})
            if "hits" in held and held["hits"] >= limit:
                return False
            held["hits"] = held.get("hits", 0) + 1
            held["expires_at"] = expires_at
            return True

    def add(self, marker: str, amount: int, expires_at: int) -> None:
        """Add ``amount`` to a counter."""
        with self._t.lock:
            held = self._t.markers.setdefault(marker, {"marker": marker})
            held["hits"] = held.get("hits", 0) + amount
            held["expires_at"] = expires_at

    def get(self, marker: str) -> dict[str, Any] | None:
        """A marker's attributes, or None."""
        with self._t.lock:
            held = self._t.markers.get(marker)
            return copy.deepcopy(held) if held is not None else None

    def delete(self, marker: str) -> None:
        """Forget a marker."""
        with self._t.lock:
            self._t.markers.pop(marker, None)
