"""The result cache: vendor answers kept per tenant and source, and who is asking for one now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Answer:
    """A vendor's answer about one lookup input (a match or a miss), and when and for whom it came."""

    matched: bool
    outputs: dict[str, Any]
    fetched_at: float  # epoch seconds
    batch_id: str  # the batch whose row asked the vendor


@dataclass(frozen=True)
class CacheEntry:
    """What a cache key holds: an answer, or (``answer`` None) a claim by a worker asking now."""

    answer: Answer | None
    lease_until: float  # a claim: when another worker may take the lookup over (epoch seconds)
    expires_at: float  # epoch seconds; DynamoDB's TTL removes the item some time after

    def usable(self, now: float, fresh_after: float) -> bool:
        """An answer that has not expired and came at or after ``fresh_after``."""
        return (self.answer is not None and self.expires_at > now
                and self.answer.fetched_at >= fresh_after)

    def claimed(self, now: float) -> bool:
        """A worker is asking the vendor for this key and its lease has not run out."""
        return self.answer is None and self.lease_until > now


class ResultCache(Protocol):
    """Keys are ``{tenant}#{source}#{digest of the normalized lookup input}``."""

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The entries of the keys that have one (read consistently); absent keys are left out."""

    def claim(self, key: str, owner: str, lease_until: float, fresh_after: float, now: float) -> bool:
        """Take the lookup of ``key`` (True) unless a usable answer (see ``CacheEntry.usable``)
        or another live claim holds it; an expired entry or claim is taken over."""

    def put(self, key: str, answer: Answer, expires_at: float) -> None:
        """Keep an answer (replacing a claim or an older answer)."""

    def release(self, key: str, owner: str) -> None:
        """Give up ``owner``'s claim (the vendor gave no answer): the next asker may claim it."""
