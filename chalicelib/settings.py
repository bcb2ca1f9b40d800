"""The one reader of the environment: every setting the service has, typed, with defaults."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # netguard (http.client, ssl, urllib) loads where outbound calls are made
    from chalicelib.netguard import Policy

ENV_PREFIX = "BATCH_ENRICH_"


class Settings(BaseModel):
    """Service settings, read once from ``BATCH_ENRICH_*`` variables (stage values sit in .chalice).

    A plain pydantic model that reads its own variables (``environment_values``): pydantic-settings
    did the same through sources this service never uses (dotenv, CLI, cloud vaults), and
    importing them cost every function's cold start ~40-160 ms (docs/performance.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def environment_values(cls, given: Any) -> Any:
        """Fill each field not given from its variable (``BATCH_ENRICH_<FIELD>`` or its alias,
        in any case); what is given wins, and pydantic parses the strings (``"true"``, ``"20"``)."""
        if not isinstance(given, dict):
            return given
        environ = {key.upper(): value for key, value in os.environ.items()}
        values = dict(given)
        for name, field in cls.model_fields.items():
            alias = field.validation_alias if isinstance(field.validation_alias, str) else None
            variable = alias or ENV_PREFIX + name.upper()
            if name in values or (alias and alias in values) or variable.upper() not in environ:
                continue
            values[alias or name] = environ[variable.upper()]
        return values

    # Physical names of the resources are ``{prefix}-{logical name}`` (see chalicelib.topology).
    resource_prefix: str = "batch-enrich"
    bucket: str = "batch-enrich-data"
    region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")

    # Who may call the admin routes. Empty means the admin routes are closed. On AWS the key is
    # in Secrets Manager: admin_api_key_secret names it (and vendor_secrets_secret names a JSON
    # object of vendor secrets); values are cached per process for secrets_cache_seconds.
    admin_api_key: str = ""
    admin_api_key_secret: str = ""
    vendor_secrets_secret: str = ""
    secrets_cache_seconds: int = 300

    # The SQS event source mappings report batch item failures (infra/ turns both on). Without
    # it a handler raises when any record fails, so Lambda retries the batch rather than
    # deleting it; with it, failures are reported per message (an all-failed batch still raises).
    partial_batch_responses: bool = False

    # Log lines: one JSON object each (CloudWatch Logs Insights reads them), or text for people
    # running the service locally (``batch-enrich serve --log-format text`` sets it).
    log_format: Literal["json", "text"] = "json"

    # Days before the bucket's lifecycle rules delete objects (0: never): inputs and working
    # files (reprocess needs them), anonymous uploads nobody claimed, results files.
    work_retention_days: int = 30
    unclaimed_upload_days: int = 7
    results_retention_days: int = 365

    # Where a local process keeps what it makes once and reads many times (the phone enricher's
    # English tables, made from the installed phonenumbers on first use); "" keeps nothing
    # there. The Lambda packages carry their tables (infra/phonedata.py).
    cache_dir: str = Field(default_factory=lambda: _default_cache_dir())

    # Chunking: a chunk is the unit of delivery, commit and billing transaction. Rows per chunk
    # in basic mode, whose enrichers run in the function (~0.2 ms a row): 500 rows keep the
    # per-chunk costs (a message, a part object, a transaction) small next to the rows' work.
    # Advanced mode calls vendors at their rate limits: 100 rows keep an invocation of four
    # chunks inside the work function's timeout.
    chunk_rows: int = 500
    advanced_chunk_rows: int = 100
    chunk_max_bytes: int = 60_000

    # Split waits while the work queue holds more chunks than this (0: never waits). The local
    # runtime sets it: moto's SQS rescans every queued message on each request.
    max_queued_chunks: int = 0

    # Limits of input files through the REST API.
    max_upload_bytes: int = 10 * 1024 * 1024
    max_rows_per_batch: int = 50_000
    # The row limit of batches that come through the other doors (presigned uploads, the drop
    # folder, schedules: a batch's ``origin`` other than "api"): big files, split in steps.
    max_rows_per_file: int = Field(default=20_000_000, ge=1)

    # A split hands over to its next invocation (its checkpoint written, a message to itself)
    # once less than this is left before the function's timeout.
    split_reserve_seconds: float = Field(default=20.0, ge=0, le=600)

    # finalize writes a batch of more rows than this in steps of about this many rows, one
    # invocation each (services/finalize_steps.py). At most 2,000,000: a step's share of a
    # results file is one part of its multipart upload (~1.5 KB a row of results; S3 takes 5 GB
    # a part, the finalize function has 10 GB of /tmp).
    finalize_step_rows: int = Field(default=1_000_000, ge=1, le=2_000_000)

    # Files that come through a presigned upload (POST /v1/uploads) or the drop folder (inbox/):
    # at most this many bytes (S3's limit for one POST is 5 GB); an upload form is valid this
    # long (at most S3's 15 minutes advice for a presigned POST).
    upload_form_max_bytes: int = Field(default=5 * 1024**3, ge=1, le=5 * 1024**3)
    upload_form_seconds: int = Field(default=900, ge=60, le=900)

    # Accept POST /v1/batches without a key: the batch waits until a tenant claims it.
    anonymous_uploads: bool = False

    # A prepaid tenant needs at least this balance to start a batch (402 below it).
    min_balance_to_start: int = 0

    # API requests one tenant may make per second (429 with Retry-After beyond it).
    requests_per_second: int = 20

    # Credits per matched row, by mode.
    price_basic: int = 1
    price_advanced: int = 3

    # Default region for phone numbers given without a country.
    default_phone_region: str = "US"

    # Presigned results links live this long.
    results_url_ttl_seconds: int = 3600

    # Recovery (docs/reliability.md). A handler keeps the messages it works invisible for this
    # many seconds, extending them every third of it while it works (a heartbeat): a message
    # of a process that died comes back within this long, whatever the queue's visibility.
    heartbeat_seconds: int = 10
    # The tick sends a dead-lettered message back to its queue this many times; then it gives
    # up on it (a chunk part's rows end failed and uncharged, the batch ends failed).
    redrive_limit: int = 3
    # A batch with work outstanding and no progress for this long (or a resume or reprocess
    # that began sending this long ago and never finished) is continued by the tick; after
    # heal_limit continues without progress it ends failed.
    heal_after_seconds: int = 120
    heal_limit: int = 3
    # The tick reports batches processing with no progress for this long (metric BatchesStalled,
    # and infra/'s alarm on it): longer than healing's own delay, so the alarm means it failed.
    stalled_after_seconds: int = 900

    # Outbound calls to tenant-supplied URLs (vendor sources) never reach the service's own
    # network: loopback (``batch-enrich serve`` allows it, for local vendors) and private
    # addresses (a vendor inside the operator's network) only when allowed here.
    outbound_allow_loopback: bool = False
    outbound_allow_private: bool = False

    # Vendor sources' rate limits hold for the tenant's key across every worker and sandbox: a
    # worker takes this many seconds' worth of its source's slots at a time from the shared
    # schedule (one DynamoDB write per lease), and aims at this share of the configured rate
    # (the rest absorbs network and scheduling jitter, so a vendor counting any one-second
    # window never sees a call too many).
    vendor_lease_seconds: float = Field(default=0.25, gt=0, le=5)
    vendor_rate_share: float = Field(default=0.97, gt=0, le=1)

    # Vendor answers (matches and misses) are kept per tenant source and normalized lookup input
    # this many days, so the same input is never paid for twice; a source's ``cache_days``
    # overrides it, 0 keeps nothing.
    result_cache_days: int = Field(default=30, ge=0, le=3650)

    # A row's waterfall may take this long across all its sources (seed 004: 10 s per
    # profile); past it the row fails alone, uncharged. A work invocation starts no row once
    # less than this plus work_reserve_seconds (storing and settling what it did, handing the
    # rest on as the chunk's next part) is left before the function's timeout.
    row_deadline_seconds: float = Field(default=10.0, gt=0, le=300)
    work_reserve_seconds: float = Field(default=5.0, ge=0, le=300)
    # Advanced-mode chunk parts one work invocation runs side by side (their vendor calls share
    # the sources' limits): while one part's last calls drain and it is stored and settled,
    # another part's calls keep the vendor busy.
    work_parts_at_once: int = Field(default=2, ge=1, le=10)

    # Webhooks (Standard Webhooks). A delivery attempt waits this long for an answer; a failed
    # one is retried after retry_base seconds, doubling up to retry_max, for retry_window seconds
    # from its first attempt. A rotated secret keeps signing (beside the new one) for the grace
    # period. Deliveries and their attempts are kept webhook_log_days.
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=30)
    webhook_retry_base_seconds: int = Field(default=30, ge=1)
    webhook_retry_max_seconds: int = Field(default=4 * 3600, ge=1)
    webhook_retry_window_seconds: int = Field(default=24 * 3600, ge=0)
    webhook_secret_grace_seconds: int = Field(default=24 * 3600, ge=0)
    webhook_max_endpoints: int = Field(default=20, ge=1)
    webhook_log_days: int = Field(default=30, ge=1)
    # The tick fans out again an event whose mark is older than this (its fan-out was lost).
    webhook_refan_after_seconds: int = Field(default=120, ge=0)

    # credits.low: a prepaid balance falling below this (a tenant's config may set its own).
    credits_low_threshold: int = Field(default=100, ge=0)

    def outbound_policy(self) -> Policy:
        """Which special addresses outbound calls may reach (``chalicelib.netguard``)."""
        from chalicelib.netguard import Policy

        return Policy(allow_loopback=self.outbound_allow_loopback,
                      allow_private=self.outbound_allow_private)

    def name(self, logical: str) -> str:
        """Physical name of a declared resource."""
        return f"{self.resource_prefix}-{logical}"


def secret(name: str) -> str | None:
    """A source's secret, from ``BATCH_ENRICH_SECRET_<NAME>`` (on AWS, set from Secrets Manager)."""
    return os.environ.get(f"BATCH_ENRICH_SECRET_{name.upper()}") or None


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "batch-enrich")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read from the environment on first use, never at import)."""
    return Settings()
