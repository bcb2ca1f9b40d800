"""Memos of the enrichers' pure lookups: a real file repeats its companies' domains, names and
switchboard numbers, so each distinct value is worked out once per process, not once a row.

Only pure functions of their arguments are memoized (the same input gives the same output,
byte for byte), each bounded (least recently used values go first), so memory stays flat
whatever the batch. ``clear`` forgets them all (the benchmark measures cold loops with it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any, TypeVar

from chalicelib.domain.enrich.base import EnricherResult

_F = TypeVar("_F", bound=Callable[..., Any])
_MEMOS: dict[str, Any] = {}


def memo(maxsize: int) -> Callable[[_F], _F]:
    """Memoize a pure function of hashable arguments, keeping at most ``maxsize`` answers."""
    def wrap(function: _F) -> _F:
        cached = lru_cache(maxsize=maxsize)(function)
        _MEMOS[f"{function.__module__}.{function.__qualname__}"] = cached
        return cached  # type: ignore[return-value]
    return wrap


def fresh(result: EnricherResult) -> EnricherResult:
    """A memoized result's copy for one row: its outputs (and their lists) are the row's own."""
    outputs = {key: list(value) if isinstance(value, list) else value
               for key, value in result.outputs.items()}
    return replace(result, outputs=outputs)


def clear() -> None:
    """Forget every memoized answer."""
    for cached in _MEMOS.values():
        cached.cache_clear()


def hit_rates() -> dict[str, float]:
    """Each memo's share of calls answered from memory since it was last cleared."""
    rates = {}
    for name, cached in _MEMOS.items():
        info = cached.cache_info()
        calls = info.hits + info.misses
        rates[name.rsplit(".", 1)[-1]] = round(info.hits / calls, 3) if calls else 0.0
    return rates
