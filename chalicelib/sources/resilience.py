"""Being a polite, robust API client: a shared rate limit, backoff, Retry-After and a breaker."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Protocol

# A vendor asking for longer than this is having an outage; the breaker, not a sleeping
# worker, is the right answer to that.
RETRY_AFTER_CAP_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 10.0
JITTER_FRACTION = 0.1


class RateLimit(Protocol):
    """Slots at a vendor's rate: in one process (``TokenBucket``) or shared by every worker."""

    def acquire(self) -> float:
        """Wait for this caller's slot; return how long it waited."""
        ...

    def hold(self, seconds: float) -> None:
        """The vendor said wait (a 429): no caller gets a slot in the next ``seconds``."""
        ...


class TokenBucket:
    """A thread-safe rate limit shared by every worker thread using one provider."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None],
                 burst: float = 1.0) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this caller's slot; return how long it waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            # Taking the token on credit reserves a distinct future slot for each caller, so
            # the sleep happens outside the lock and concurrent callers queue up fairly.
            self._tokens -= 1.0
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Push the next free slot at least ``seconds`` into the future."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            # the next acquire takes one token and waits -tokens / rate = seconds
            self._tokens = min(self._tokens, 1.0 - seconds * self._rate)


def backoff_delay(attempt: int, base: float, random: Callable[[], float]) -> float:
    """Exponential delay before retry ``attempt + 1`` (0-based), capped, plus up to 10% jitter."""
    delay = min(BACKOFF_CAP_SECONDS, base * 2.0**attempt)
    # Jitter keeps many workers that failed together from retrying in lock-step.
    return delay * (1.0 + JITTER_FRACTION * random())


def http_date_epoch(text: str) -> float | None:
    """Seconds since the epoch for an HTTP-date (``Wed, 21 Oct 2015 07:28:00 GMT``), or None."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP-dates are GMT; ``-0000`` parses as naive and must not be read as local time.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), capped."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        when = http_date_epoch(text)
        if when is None:
            return None
        seconds = when - now
    if seconds != seconds:  # NaN: not a wait at all
        return None
    return max(0.0, min(RETRY_AFTER_CAP_SECONDS, seconds))


class BreakerState(StrEnum):
    """Where a circuit breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stop calling a vendor after consecutive failed records; probe it again after a cooldown."""

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._state = BreakerState.CLOSED
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        """The current state (for logs and tests)."""
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """Whether this record may call the vendor; after the cooldown exactly one caller may."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self._cooldown:
                self._state = BreakerState.HALF_OPEN  # this caller is the trial; others wait
                return True
            return False

    def record(self, available: bool) -> None:
        """Note how a record that was allowed through fared."""
        with self._lock:
            if available:
                self._failures = 0
                self._state = BreakerState.CLOSED
                return
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
