"""The query string each route takes, as a model: unknown parameters are refused like unknown
fields (422); a ``limit`` over a route's largest page is clamped to it, and the answer says so."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import MAX_OFFSET
from chalicelib.domain.models import BatchStatus, RowStatus

BATCHES_PAGE = 100  # largest page of GET /v1/batches
ROWS_PAGE = 1_000  # largest page of GET /v1/batches/{id}/rows
LEDGER_PAGE = 200  # largest page of GET /v1/credits/ledger
MAX_ROW_OFFSET = 10_000_000


class _Query(LazyModel):
    model_config = ConfigDict(extra="forbid")


class BatchListQuery(_Query):
    """``GET /v1/batches``: newest first, by ``cursor`` or by ``offset``, filtered."""

    limit: int = Field(default=20, ge=1)
    cursor: str | None = Field(default=None, max_length=200)
    offset: int | None = Field(default=None, ge=0, le=MAX_OFFSET)
    status: str | None = None  # comma-separated batch statuses
    query: str | None = Field(default=None, max_length=200)  # part of the name, any case

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: str | None) -> str | None:
        known = {s.value for s in BatchStatus}
        if value is not None and not set(value.split(",")) <= known:
            raise ValueError(f"must be among {', '.join(sorted(known))} (comma-separated)")
        return value

    def statuses(self) -> tuple[BatchStatus, ...]:
        """The wanted statuses (none: every status)."""
        return tuple(BatchStatus(s) for s in self.status.split(",")) if self.status else ()


class StatusQuery(_Query):
    """``GET /v1/batches/{id}``: ``include=row_ids`` adds the row ids grouped by row status."""

    include: Literal["row_ids"] | None = None


class RowsQuery(_Query):
    """``GET /v1/batches/{id}/rows``."""

    status: RowStatus | None = None
    limit: int = Field(default=100, ge=1)
    offset: int = Field(default=0, ge=0, le=MAX_ROW_OFFSET)


class LedgerQuery(_Query):
    """``GET /v1/credits/ledger``: newest first, by ``cursor``, of one ``kind`` or one batch."""

    limit: int = Field(default=50, ge=1)
    cursor: str | None = Field(default=None, max_length=500)
    kind: Literal["topup", "charge"] | None = None
    batch_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


class ResultsQuery(_Query):
    """``GET /v1/batches/{id}/results.csv``: ``format=jsonl`` for rows.jsonl."""

    format: Literal["csv", "jsonl"] = "csv"


def page_limit(requested: int, largest: int,
               follow: str = "next_cursor") -> tuple[int, dict[str, Any]]:
    """The page size to serve, and what the answer says about it (``max_limit``, ``warnings``);
    ``follow`` says how the route pages on."""
    served = min(requested, largest)
    warnings = [] if served == requested else [
        f"limit={requested} is over the largest page ({largest}): this page holds at most "
        f"{largest}; follow {follow} for the rest."]
    return served, {"limit": served, "max_limit": largest, "warnings": warnings}

