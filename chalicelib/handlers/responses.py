"""The bodies the routes answer, as models for the OpenAPI document (``handlers/declare.py``).

Fields a client can rely on are listed with their types; an answer may carry more (objects stay
open), so adding a field never breaks a client.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.models import BatchStatus, BillingKind


class Documented(LazyModel):
    """A body described in the OpenAPI document only (its schema is built when the document is)."""


class ErrorItem(Documented):
    """One reason a body or a query was refused (422): where, what, which check."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(Documented):
    """The one error shape of every 4xx: a code, a message saying what to fix, the details."""

    error: str = Field(description="A stable code, e.g. invalid_request, not_found.")
    message: str = Field(description="What went wrong and what to do about it.")
    details: dict[str, Any]
    request_id: str
    detail: list[ErrorItem] | None = Field(default=None, description="422 only: each refusal.")
    retry_after: int | None = Field(default=None, description="429: seconds to wait.")


class Counts(Documented):
    """A batch's rows by state."""

    total: int | None
    queued: int | None
    processing: int | None
    completed: int
    not_found: int
    failed: int
    skipped: int
    parked: int


class BatchBody(Documented):
    """A batch's status (``GET /v1/batches/{batch_id}`` and every route that changes a batch)."""

    batch_id: str
    name: str
    status: BatchStatus
    entity_type: str
    mode: str
    metadata: dict[str, Any]
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None
    og_input_number: int | None
    counts: Counts
    credits_spent: int
    price_per_match: int
    max_credits: int | None
    max_failed_percent: float | None = Field(
        default=None, description="The batch stops as failed once more than this share of its rows failed.")
    progress: float
    success_rate: float | None
    message: str | None
    results: dict[str, str] | None = Field(description="Links to the results files once ready.")
    row_ids: dict[str, Any] | None = Field(default=None, description="With include=row_ids.")


class IntakeBody(Documented):
    """What reading a file found: entity type, column mapping, counts, cost estimate, warnings."""

    entity_type: str
    mapping: dict[str, Any]
    platform: str | None
    cost_estimate: dict[str, Any]


class CreatedBatchBody(BatchBody):
    """A new batch (``input``: what reading its file found; ``upload_token`` when anonymous)."""

    input: dict[str, Any] | None = None
    upload_token: str | None = None


class ReprocessBody(BatchBody):
    """The batch, and how many of its rows are enriched again."""

    reprocessing_rows: int


class BatchPage(Documented):
    """A page of batches, newest first."""

    batches: list[BatchBody]
    next_cursor: str | None
    offset: int | None
    limit: int
    max_limit: int
    warnings: list[str]


class RowsPage(Documented):
    """A page of a batch's rows in input order."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    max_limit: int
    warnings: list[str]


class PreviewBody(Documented):
    """Counts only, no personal data."""

    batch_id: str
    status: BatchStatus
    rows: int | None
    matched: int
    not_found: int
    found: dict[str, int]
    vendor_lookups: dict[str, Any]


class FileLink(Documented):
    """A results file's signed link (with ``Accept: application/json``)."""

    url: str
    filename: str
    expires_in: int


class CreditsBody(Documented):
    """A tenant's balance and spend."""

    balance: int
    billing: BillingKind
    spent_this_month: int
    spent_total: int
    topped_up_total: int


class LedgerPage(Documented):
    """A page of the ledger, newest first."""

    entries: list[dict[str, Any]]
    next_cursor: str | None
    limit: int
    max_limit: int
    warnings: list[str]


class TenantCreated(Documented):
    """A new tenant; its API key is shown this once."""

    tenant_id: str
    api_key: str
    balance: int
    billing: BillingKind


class TenantConfigBody(Documented):
    """A tenant's stored waterfall configuration."""

    tenant_id: str


class TopUpBody(Documented):
    """The balance after a top-up, and the batches it resumed."""

    tenant_id: str
    balance: int
    resumed_batches: list[str]


class ApiKeyCreated(Documented):
    """A new API key, shown this once."""

    tenant_id: str
    key_id: str
    api_key: str
    created_at: str


class ApiKeyList(Documented):
    """A tenant's keys, never the key itself."""

    tenant_id: str
    api_keys: list[dict[str, Any]]


class DatasetBody(Documented):
    """A stored reference dataset."""

    dataset_id: str
    name: str
    rows: int
    identifiers: int
    id_column: str | None
    created_at: str


class DatasetList(Documented):
    """The tenant's datasets."""

    datasets: list[DatasetBody]


class TimelineBody(Documented):
    """A batch's steps and charges in order; their credits add up to ``credits_spent``."""

    batch_id: str
    status: BatchStatus
    credits_spent: int
    steps: list[dict[str, Any]]


class StatsBody(Documented):
    """Open batches by status, rows per second over the last minute, queue and DLQ depths."""

    at: str
    open_batches: dict[str, Any]
    queues: dict[str, Any]


class OpenApiBody(Documented):
    """This document."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
