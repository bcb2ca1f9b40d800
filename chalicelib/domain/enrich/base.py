"""The enricher contract: a canonical record in, outputs, a matched flag and statuses out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

# A canonical record: canonical field name (``email``, ``phone``, ``country`` …) -> non-empty value.
CanonicalRecord = dict[str, str]


class AttributeStatus(StrEnum):
    """How one enricher fared on one row."""

    RUN = "RUN"
    NOT_RUN = "NOT_RUN"
    ERROR = "ERROR"
    RUN_CONDITION_FAILED = "RUN_CONDITION_FAILED"


class Lookup(StrEnum):
    """How a vendor source answered one row: what the summary counts as calls and calls saved."""

    VENDOR = "vendor"  # the vendor was called for this row
    CACHE = "cache"  # an answer kept from an earlier batch (the tenant's result cache)
    BATCH = "batch"  # another row of this batch asked the vendor the same


@dataclass(frozen=True)
class EnricherResult:
    """What one enricher returns for one record.

    ``outputs`` is a flat mapping of output name -> JSON scalar; the pipeline nests it under
    the enricher's name (``email.normalized``). ``matched`` is True when the enricher found
    real data for the record (this is what is billed). ``status`` is RUN when it ran,
    RUN_CONDITION_FAILED when the record lacks its input, ERROR when it raised.
    ``lookup`` says whether a vendor source called its vendor or reused an answer.
    """

    status: AttributeStatus
    matched: bool = False
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    lookup: Lookup | None = None  # vendor sources: how this answer was had (None: no lookup)


class Enricher(Protocol):
    """One built-in or external source of data."""

    name: str

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Enrich one canonical record; must not raise for bad data (only for bugs/outages)."""
        ...
