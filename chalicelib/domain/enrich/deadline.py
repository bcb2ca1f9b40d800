"""A row's deadline: how long one row's waterfall may take, across all its sources (seed 004: 10 s).

The pipeline sets it around each row's waterfall (``row_deadline``); the sources read it where
they wait (a vendor call's socket timeout, a retry's back-off, a rate-limit slot, another
worker's answer) so no wait outlasts the row. It lives in a context variable: each row's
waterfall runs on one thread at a time, and a thread sets it anew for every row it takes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("row_deadline", default=None)


@contextmanager
def row_deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, the current row must be done ``seconds`` from now (None: no deadline)."""
    token = _DEADLINE.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds the current row has left (never below 0), or None without a deadline."""
    deadline = _DEADLINE.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def expired() -> bool:
    """True once the current row's deadline has passed."""
    left = time_left()
    return left is not None and left <= 0.0


def bounded(seconds: float) -> float:
    """``seconds``, or less if the row's deadline comes first."""
    left = time_left()
    return seconds if left is None else min(seconds, left)
