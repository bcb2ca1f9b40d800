"""Correlation ids: which request, batch, chunk and invocation a log line belongs to.

The ids live in a context variable, so each thread (the local runtime runs the API, the
pollers and the tick side by side in one process) and each nested step sees only its own.
``correlated`` sets ids for a block and restores the outer ones after it; ``bind`` adds ids to
the current block (after authentication, once a batch id exists). A logging filter copies the
current ids onto every record, so no call site has to pass them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

# The correlation fields every log line may carry, in the order a reader looks for them.
FIELDS = ("request_id", "function_request_id", "function_name", "tenant_id", "batch_id",
          "chunk", "part", "message_id", "function_arn", "function_memory_size", "cold_start")
# The fields a queue message carries from the step that sent it to the step that receives it.
CARRIED = ("request_id",)

_OUTSIDE: Mapping[str, Any] = MappingProxyType({})  # no step running: nothing to bind ids to
_IDS: ContextVar[Mapping[str, Any]] = ContextVar("batch_enrich_correlation", default=_OUTSIDE)


def current() -> dict[str, Any]:
    """The correlation ids of the running step."""
    return dict(_IDS.get())


def request_id() -> str | None:
    """The request that started the running step: an API request, or the tick's invocation."""
    value = _IDS.get().get("request_id")
    return value if isinstance(value, str) else None


def _known(ids: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(ids) - set(FIELDS)
    if unknown:
        raise ValueError(f"not correlation fields: {sorted(unknown)}")
    return {key: value for key, value in ids.items() if value is not None}


@contextmanager
def correlated(**ids: Any) -> Iterator[None]:
    """Log with these ids (added to the outer ones; None leaves a field as it was) in the block."""
    token = _IDS.set({**_IDS.get(), **_known(ids)})
    try:
        yield
    finally:
        _IDS.reset(token)


@contextmanager
def fresh(**ids: Any) -> Iterator[None]:
    """Log with only these ids in the block: a new invocation starts from nothing."""
    token = _IDS.set(_known(ids))
    try:
        yield
    finally:
        _IDS.reset(token)


def bind(**ids: Any) -> None:
    """Add ids to the running block (until the enclosing ``correlated``/``fresh`` block ends).

    Outside any block (a test, a script) there is no step to scope them to: nothing is bound.
    """
    if _IDS.get() is not _OUTSIDE:
        _IDS.set({**_IDS.get(), **_known(ids)})


class CorrelationFilter(logging.Filter):
    """Puts the current correlation ids on every record (ids given in ``extra`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the ids; never drops a record."""
        for key, value in _IDS.get().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True
