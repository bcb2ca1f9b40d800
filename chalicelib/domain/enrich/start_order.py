"""The order in which chunk parts worked side by side start their rows' waterfalls.

A work invocation runs its advanced-mode parts side by side (``work_parts_at_once``) so that
one part's calls keep the vendor busy while another part drains, is stored and settled, or is
read and prepared. Parts that shared the vendor evenly would run in step: they would drain and
settle at the same moment, leaving the vendor idle together. So the parts take turns at
starting rows: a part starts its rows once every part that queued before it has started all of
its own (its last calls are then in flight), which staggers the parts by about one part.
"""

from __future__ import annotations

import threading
from collections import deque


class StartOrder:
    """Turns at starting rows, first come first served (thread-safe)."""

    def __init__(self) -> None:
        self._queued: deque[Turn] = deque()
        self._changed = threading.Condition()

    def queue(self) -> Turn:
        """A turn behind every part already queued."""
        turn = Turn(self)
        with self._changed:
            self._queued.append(turn)
        return turn

    def _wait(self, turn: Turn) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._queued or self._queued[0] is turn)

    def _leave(self, turn: Turn) -> None:
        with self._changed:
            if turn in self._queued:
                self._queued.remove(turn)
                self._changed.notify_all()


class Turn:
    """One part's place in a ``StartOrder``."""

    def __init__(self, order: StartOrder) -> None:
        self._order = order

    def wait(self) -> None:
        """Block until every part queued before this one has started all of its rows."""
        self._order._wait(self)

    def done(self) -> None:
        """This part started all the rows it will start (safe to call more than once)."""
        self._order._leave(self)
