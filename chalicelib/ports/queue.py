"""Message queues by physical name (``Ports.queue_name`` turns a declared queue into one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

SEND_BATCH = 10  # SQS sends, receives and deletes at most ten messages per request


@dataclass(frozen=True)
class Received:
    """A message taken from a queue: its body and the receipt that deletes it."""

    body: str
    receipt: str


class Queue(Protocol):
    """Sends to, receives from and deletes on named queues."""

    def send(self, name: str, bodies: Sequence[str], delay_seconds: int = 0) -> None:
        """Send every body (all of them, or raise), each visible after ``delay_seconds`` (≤ 900)."""

    def depth(self, name: str) -> int:
        """Messages waiting in a queue (approximate, as SQS reports it)."""

    def receive(self, name: str, visibility_timeout: int, most: int = SEND_BATCH) -> list[Received]:
        """Up to ``most`` (at most ten) visible messages, hidden for ``visibility_timeout`` seconds."""

    def delete(self, name: str, receipts: Sequence[str]) -> None:
        """Delete received messages by their receipts."""

    def hide(self, name: str, receipts: Sequence[str], seconds: int) -> None:
        """Keep received messages invisible for ``seconds`` from now (stale receipts are skipped)."""
