"""What a process's shared rate limits did with the slots they leased (``batch-enrich bench
--vendor`` reports them per worker): slots skipped or taken again are vendor rate never used."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class SlotCounts:
    """What this process's shared limits did with their slots (the vendor bench reports them)."""

    leases: int = 0
    leased: int = 0
    used: int = 0
    skipped: int = 0  # left in the past, unused: the rate the vendor never saw
    late: int = 0  # callers that woke more than one slot late and took another
    lease_seconds: float = 0.0  # time spent taking leases (a store round trip each)
    lease_longest: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: float) -> None:
        """Add to the counts."""
        with self._lock:
            for name, amount in counts.items():
                setattr(self, name, getattr(self, name) + amount)

    def leased_in(self, seconds: float, slots: int) -> None:
        """One lease of ``slots`` took ``seconds``."""
        with self._lock:
            self.leases += 1
            self.leased += slots
            self.lease_seconds += seconds
            self.lease_longest = max(self.lease_longest, seconds)

    def to_json(self) -> dict[str, Any]:
        """The counts as plain data."""
        with self._lock:
            return {f.name: round(getattr(self, f.name), 3) for f in fields(self)
                    if not f.name.startswith("_")}

    def reset(self) -> None:
        """Count from zero."""
        with self._lock:
            self.leases = self.leased = self.used = self.skipped = self.late = 0
            self.lease_seconds = self.lease_longest = 0.0


SLOTS = SlotCounts()
