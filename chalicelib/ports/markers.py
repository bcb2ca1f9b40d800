"""One-time markers: split claims with a lease, idempotency keys, rate counters, upload claims."""

from __future__ import annotations

from typing import Any, Protocol


class Markers(Protocol):
    """Items that say some work was claimed, done, or answered once."""

    def claim(self, marker: str, lease_until: int, now: int) -> bool:
        """Claim a one-time marker (or take over one whose lease ran out); False if held or done."""

    def complete(self, marker: str) -> None:
        """Mark a claimed marker's work finished for good."""

    def put_once(self, marker: str, attributes: dict[str, Any], expires_at: int, now: int) -> bool:
        """Write a marker unless a live one exists (an expired one is replaced); True if written."""

    def count_up_to(self, marker: str, limit: int, expires_at: int) -> bool:
        """Add one to a counter unless it reached ``limit``; False when it had."""

    def get(self, marker: str) -> dict[str, Any] | None:
        """A marker's attributes, read consistently, or None."""

    def delete(self, marker: str) -> None:
        """Forget a marker."""
