"""CPU seconds spent inside named functions, for the in-process bench (``work_cpu``).

The functions are wrapped where their callers look them up (a module's or an object's attribute)
for the length of a ``with`` block and put back after it: the code measured is the code that runs,
unchanged. Each wrapper reads the thread's CPU clock before and after its call (a few
microseconds a call; the bench wraps functions called once a chunk part, not once a row).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# A place a function is looked up: the object (a module, a class, an instance) and the name.
Place = tuple[object, str]


class Stopwatch:
    """CPU seconds and calls of each watched function, summed over the calls (inclusive: a
    watched function called by another is counted in both)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    @contextmanager
    def watching(self, places: Mapping[str, Place]) -> Iterator[Stopwatch]:
        """Wrap each place's function under its name until the block ends."""
        originals: list[tuple[object, str, Any, bool]] = []
        try:
            for name, (owner, attribute) in places.items():
                own = attribute in vars(owner)  # else an instance's method, found on its class
                original = getattr(owner, attribute)
                originals.append((owner, attribute, original, own))
                setattr(owner, attribute, self._timed(name, original))
            yield self
        finally:
            for owner, attribute, original, own in reversed(originals):
                if own:
                    setattr(owner, attribute, original)
                else:  # the instance's wrapper goes; its class's method shows again
                    delattr(owner, attribute)

    def _timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        clock = time.thread_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += clock() - started
                self.calls[name] += 1

        return timed
