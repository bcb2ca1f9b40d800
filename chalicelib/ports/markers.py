"""Markers: idempotency keys, rate counters, upload claims, failure notes."""

from __future__ import annotations

from typing import Any, Protocol


class Markers(Protocol):
    """Items that say some work was claimed, done, or answered once."""

    def put(self, marker: str, attributes: dict[str, Any], expires_at: int) -> None:
        """Write a marker, replacing any (a note whose latest version is the one that counts)."""

    def put_once(self, marker: str, attributes: dict[str, Any], expires_at: int, now: int) -> bool:
        """Write a marker unless a live one exists (an expired one is replaced); True if written."""

    def count_up_to(self, marker: str, limit: int, expires_at: int) -> bool:
        """Add one to a counter unless it reached ``limit``; False when it had."""

    def add(self, marker: str, amount: int, expires_at: int) -> None:
        """Add ``amount`` to a counter (created at 0)."""

    def get(self, marker: str) -> dict[str, Any] | None:
        """A marker's attributes, read consistently, or None."""

    def delete(self, marker: str) -> None:
        """Forget a marker."""
