"""Queues in memory: visibility timeouts and receipts as SQS has them (no redrive)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.ports.queue import SEND_BATCH, Received


@dataclass
class _Message:
    body: str
    visible_at: float = 0.0
    receipt: str = ""
    receives: int = 0


class InMemoryQueue:
    """The Queue port on lists; ``now`` is the clock visibility timeouts count on."""

    def __init__(self, names: Sequence[str], now: Callable[[], float] = time.monotonic) -> None:
        self._queues: dict[str, list[_Message]] = {name: [] for name in names}
        self._now = now
        self._receipts = itertools.count()
        self._lock = threading.Lock()

    def send(self, name: str, bodies: Sequence[str], delay_seconds: int = 0) -> None:
        """Send every body, visible after ``delay_seconds``."""
        visible_at = self._now() + delay_seconds if delay_seconds else 0.0
        with self._lock:
            self._queue(name).extend(_Message(body, visible_at) for body in bodies)

    def depth(self, name: str) -> int:
        """Visible messages waiting in a queue."""
        now = self._now()
        with self._lock:
            return sum(m.visible_at <= now for m in self._queue(name))

    def receive(self, name: str, visibility_timeout: int, most: int = SEND_BATCH) -> list[Received]:
        """Up to ``most`` (at most ten) visible messages, hidden for ``visibility_timeout`` seconds."""
        now = self._now()
        with self._lock:
            taken = [m for m in self._queue(name) if m.visible_at <= now][:min(most, SEND_BATCH)]
            for message in taken:
                message.visible_at = now + visibility_timeout
                message.receipt = f"r{next(self._receipts)}"
                message.receives += 1
            return [Received(m.body, m.receipt) for m in taken]

    def delete(self, name: str, receipts: Sequence[str]) -> None:
        """Delete received messages by their latest receipts."""
        gone = set(receipts)
        with self._lock:
            queue = self._queue(name)
            queue[:] = [m for m in queue if m.receipt not in gone]

    def hide(self, name: str, receipts: Sequence[str], seconds: int) -> None:
        """Keep received messages invisible for ``seconds`` from now (stale receipts skipped)."""
        mine = set(receipts)
        now = self._now()
        with self._lock:
            for message in self._queue(name):
                if message.receipt in mine:
                    message.visible_at = now + seconds

    def _queue(self, name: str) -> list[_Message]:
        if name not in self._queues:
            raise KeyError(f"no queue {name!r}")
        return self._queues[name]
