"""Batch timelines in memory."""

from __future__ import annotations

import copy
import threading

from chalicelib.ports.timeline import TimelineEvent


class InMemoryTimeline:
    """The Timeline port on a dict of dicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, TimelineEvent]] = {}

    def add(self, event: TimelineEvent) -> None:
        """Keep one step (an event with the same ``event_id`` is replaced)."""
        with self._lock:
            self._events.setdefault(event["batch_id"], {})[event["event_id"]] = copy.deepcopy(event)

    def events(self, batch_id: str) -> list[TimelineEvent]:
        """Every step of a batch, oldest first."""
        with self._lock:
            held = self._events.get(batch_id, {})
            return [copy.deepcopy(held[key]) for key in sorted(held)]
