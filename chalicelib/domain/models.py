"""The domain's nouns: batches, chunks, rows, tenants and their statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import Field

from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.messages import SplitCheckpoint


class BatchStatus(StrEnum):
    """Where a batch is in its life."""

    AWAITING_UPLOAD = "awaiting_upload"  # a presigned upload not sent yet (POST /v1/uploads)
    VALIDATING = "validating"
    QUEUED = "queued"
    PROCESSING = "processing"
    PAUSED_INSUFFICIENT_CREDITS = "paused_insufficient_credits"
    PAUSED_CREDIT_CAP = "paused_credit_cap"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# A chunk may settle while its batch is in one of these.
ACTIVE_STATUSES = (
    BatchStatus.VALIDATING,
    BatchStatus.QUEUED,
    BatchStatus.PROCESSING,
    BatchStatus.PAUSED_INSUFFICIENT_CREDITS,
    BatchStatus.PAUSED_CREDIT_CAP,
)
PAUSED_STATUSES = (BatchStatus.PAUSED_INSUFFICIENT_CREDITS, BatchStatus.PAUSED_CREDIT_CAP)
TERMINAL_STATUSES = (BatchStatus.COMPLETED, BatchStatus.FAILED, BatchStatus.CANCELLED)


class Mode(StrEnum):
    """How a batch is enriched: the built-in enrichers, or (advanced) those and the tenant's sources."""

    BASIC = "basic"
    ADVANCED = "advanced"


class RowStatus(StrEnum):
    """Where one row is: ``completed`` means matched (and billed)."""

    PENDING = "pending"
    COMPLETED = "completed"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    SKIPPED = "skipped"
    PARKED = "parked"


class BillingKind(StrEnum):
    """Prepaid tenants are paused when the balance runs out; postpaid tenants never are."""

    PREPAID = "prepaid"
    POSTPAID = "postpaid"


@dataclass(frozen=True)
class Tenant:
    """A customer account with a credit balance."""

    tenant_id: str
    name: str
    balance: int
    billing: BillingKind
    created_at: str
    config: dict[str, Any] = field(default_factory=dict)  # TenantConfig as stored (sources, prices)
    low_balance_at: str | None = None  # credits.low was announced for the balance's last fall

    def price(self, mode: Mode, default: int) -> int:
        """Credits per matched row in a mode: the tenant's override, else the default."""
        return int(self.config.get("prices", {}).get(mode, default))


@dataclass
class BatchCounts:
    """Per-status row counters kept on the batch item (O(1) status reads)."""

    completed: int = 0
    not_found: int = 0
    failed: int = 0
    skipped: int = 0
    parked: int = 0

    @property
    def settled(self) -> int:
        """Rows whose outcome is final (parked rows are not)."""
        return self.completed + self.not_found + self.failed + self.skipped


@dataclass
class Batch:
    """One customer file being enriched, as stored."""

    tenant_id: str
    batch_id: str
    name: str
    status: BatchStatus
    mode: Mode
    entity_type: str
    price: int
    created_at: str
    updated_at: str
    input_key: str
    metadata: dict[str, Any] = field(default_factory=dict)
    column_map: dict[str, str | None] = field(default_factory=dict)
    fields: dict[str, int] | None = None  # resolved at create; None: split resolves (drop folder)
    has_header: bool = True
    skip_rows: int = 0  # rows below the file's first line that are a preamble and the real header
    row_limit: int | None = None
    dedupe: bool = False
    default_country: str | None = None
    platform: str | None = None  # a creator batch's platform for bare handles
    auto_resume: bool = True
    escape_formulas: bool = True  # results files neutralize cells a spreadsheet would run
    max_credits: int | None = None
    max_failed_percent: float | None = None  # the batch fails once more of its rows failed
    total_rows: int | None = None  # known once the file is split
    chunks_total: int | None = None
    chunks_done: int = 0
    credits_spent: int = 0
    parked_cost: int = 0  # what the parked rows will cost at most (credits to finish)
    counts: BatchCounts = field(default_factory=BatchCounts)
    found: dict[str, int] = field(default_factory=dict)  # settled rows each enricher found data for
    # Settled rows' vendor lookups by how they were answered (vendor, cache, batch: ``Lookup``).
    lookups: dict[str, int] = field(default_factory=dict)
    # Vendor answers kept before this moment are not reused (create option or reprocess refresh).
    refresh_after: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    message: str | None = None
    # Recovery (services/healing.py): why the batch must end failed (some rows could not be
    # processed; finalize ends it so), chunks split has sent so far (a split that died resumes
    # there), when a resume or reprocess began sending (the tick redoes one that died), and how
    # often the tick had to continue it without progress; when a finalize began writing its
    # results (the tick does not ask for another while one may still be writing).
    failure: str | None = None
    split_sent: int = 0
    dispatch_at: int | None = None  # epoch seconds
    heals: int = 0
    healed_at: int | None = None  # epoch seconds
    finalizing_at: int | None = None  # epoch seconds
    request_id: str | None = None  # the API request that created the batch (its split logs it)
    # Where a split that goes in steps stopped (services/split_steps.py); written with split_sent.
    split_checkpoint: SplitCheckpoint | None = None
    # The door it came through: "api", or one whose files have the row limit max_rows_per_file
    # ("upload": a presigned POST; "drop": the drop folder; "schedule").
    origin: str = "api"
    webhook_id: str | None = None  # the endpoint its events go to (if it subscribes to them)
    webhook_url: str | None = None  # or a URL of its own, signed with the tenant's default secret
    announce: str | None = None  # the event of its last status write, until it is fanned out
    # An upload expires at upload_expires_at (epoch seconds) if its file never came; a dropped
    # file's results also go to outbox/ under `outbox`.
    upload_expires_at: int | None = None
    outbox: str | None = None
    # What results.csv's header needs, recorded by each settlement of an enriched part
    # (``parts.part_shape``): how many parts recorded it, the union of their output columns and
    # the most input cells of a settled row. Finalize writes results.csv in one pass when every
    # settled part recorded it (services/results_shape.py).
    # Where a finalize that goes in steps stands (services/finalize_steps.py); gone once finished.
    finalize_checkpoint: FinalizeCheckpoint | None = None
    shaped_parts: int = 0
    shape_columns: frozenset[str] = frozenset()
    shape_width: int = 0

    @property
    def has_results(self) -> bool:
        """True once finalize wrote the results files (completed, cancelled part-way, or failed
        with some rows unprocessed; a file that could not be read has none)."""
        return self.finished_at is not None and (
            self.status in (BatchStatus.COMPLETED, BatchStatus.CANCELLED)
            or (self.status is BatchStatus.FAILED and self.failure is not None))

    @property
    def all_chunks_done(self) -> bool:
        """True once the file is split and every chunk has fully settled."""
        return self.chunks_total is not None and self.chunks_done >= self.chunks_total


class RowResult(LazyModel):
    """One row after enrichment (before or after settlement)."""

    i: int
    v: list[str]
    row_id: str
    status: RowStatus
    matched: bool = False
    outputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)
    found: list[str] = Field(default_factory=list)  # enrichers that found data for the row
    credits: int | None = None  # what the row costs when matched (None: the batch's price)
    error: str | None = None
    lookups: dict[str, str] = Field(default_factory=dict)  # vendor source -> how it answered


@dataclass(frozen=True)
class PartRecord:
    """Which stored object holds one part of a chunk and how many of its rows settled."""

    key: str
    start: int  # offset of the part's first row within the chunk
    settled: int
    # (offset, length) of the part's bytes in an object that holds several parts (those an
    # invocation settled together: services/settle_group.py); None: the whole object is the part
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class ChunkState:
    """A chunk's settlement record."""

    batch_id: str
    chunk: int
    next_part: int
    done: bool
    parts: tuple[PartRecord, ...]
    reprocess_key: str | None = None  # the stored rows of a reprocess part not yet settled
