"""The result cache in memory: entries per key, claims refused exactly when the adapter's would be."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence

from chalicelib.ports.result_cache import Answer, CacheEntry


class InMemoryResultCache:
    """The ResultCache port on a dict (``owners`` remembers who holds each claim)."""

    def __init__(self) -> None:
        self.entries: dict[str, CacheEntry] = {}
        self.owners: dict[str, str] = {}
        self.reads = 0  # get_many calls (what a worker sends DynamoDB)
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The entries of the keys that have one."""
        with self._lock:
            self.reads += 1
            return {key: self.entries[key] for key in keys if key in self.entries}

    def claim(self, key: str, owner: str, lease_until: float, fresh_after: float, now: float) -> bool:
        """Take the lookup unless a usable answer or a live claim holds it."""
        with self._lock:
            held = self.entries.get(key)
            if held is not None and held.expires_at > now and (
                    held.claimed(now) if held.answer is None else held.usable(now, fresh_after)):
                return False
            self.entries[key] = CacheEntry(None, lease_until, lease_until + 3600)
            self.owners[key] = owner
            return True

    def put(self, key: str, answer: Answer, expires_at: float) -> None:
        """Keep an answer, unless it is too big for a DynamoDB item (as the adapter)."""
        if len(json.dumps(answer.outputs).encode()) > 300_000:
            return
        with self._lock:
            self.entries[key] = CacheEntry(answer, 0.0, expires_at)
            self.owners.pop(key, None)

    def release(self, key: str, owner: str) -> None:
        """Remove ``owner``'s claim, if it still holds it."""
        with self._lock:
            held = self.entries.get(key)
            if held is not None and held.answer is None and self.owners.get(key) == owner:
                del self.entries[key]
                del self.owners[key]
