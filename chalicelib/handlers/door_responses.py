"""The bodies the webhook and upload routes answer, as models for the OpenAPI document
(``handlers/declare.py``); the batch routes' answers are in ``handlers/responses.py``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.domain.webhooks import DeliveryStatus, WebhookEvent
from chalicelib.handlers.responses import BatchBody, Documented


class _Secret(Documented):
    """How a signing secret shows: itself once (create, rotate), a hint afterwards."""

    secret: str | None = Field(default=None, description="The whsec_ secret: in this answer only.")
    secret_hint: str | None = Field(default=None, description="The secret's last characters.")
    previous_secret_expires_at: int | None = Field(
        description="Epoch seconds until which the previous secret also signs (after a rotation).")


class WebhookEndpointBody(_Secret):
    """A webhook endpoint: where which events go."""

    webhook_id: str
    url: str
    events: list[WebhookEvent]
    description: str
    created_at: str
    updated_at: str


class WebhookList(Documented):
    """The tenant's endpoints (secrets as hints)."""

    webhooks: list[WebhookEndpointBody]


class DefaultSecretBody(_Secret):
    """The tenant's default secret: it signs deliveries to a batch's own ``webhook_url``."""

    created_at: str


class DefaultSecretState(Documented):
    """Whether the default secret exists (never the secret itself)."""

    default_secret: DefaultSecretBody | None


class AttemptBody(Documented):
    """One try at a delivery."""

    attempt: int
    at: str
    duration_ms: int
    status_code: int | None = Field(description="None: no HTTP answer (refused, timed out).")
    error: str | None
    response: str = Field(description="The start of the receiver's answer.")
    trigger: str = Field(description="automatic, or manual (a re-send).")


class DeliveryBody(Documented):
    """One event on its way to one target, and every attempt made."""

    delivery_id: str = Field(description="The webhook-id header of every attempt.")
    event_id: str
    event_type: WebhookEvent
    webhook_id: str | None = Field(description="None: the batch's own webhook_url.")
    url: str
    batch_id: str | None
    status: DeliveryStatus
    created_at: str
    attempts_made: int
    next_attempt_at: int | None = Field(description="Epoch seconds of the next try, while pending.")
    attempts: list[AttemptBody]


class BatchDeliveries(Documented):
    """Every delivery of a batch's events, oldest first."""

    batch_id: str
    webhook_id: str | None
    webhook_url: str | None
    deliveries: list[DeliveryBody]


class UploadForm(Documented):
    """The presigned S3 POST: send ``fields``, then the file last as ``file``, to ``url``."""

    url: str
    fields: dict[str, str]
    method: str
    max_bytes: int
    expires_at: str


class UploadBody(BatchBody):
    """The batch (``awaiting_upload``) a presigned upload will start, and its form."""

    upload: UploadForm


class DropFolderBody(Documented):
    """Where the caller's drop folder, its answers and its schedules' files are, and the limits."""

    bucket: str
    inbox: str = Field(description="s3:// folder: a NAME.csv created below it starts a batch.")
    outbox: str = Field(description="s3:// folder: NAME.status.json, NAME.enriched.csv, "
                        "NAME.credits.csv, NAME.errors.csv at the same path.")
    sources: str = Field(description="s3:// folder of the files schedules read (source_key is below it).")
    sidecar_suffix: str = Field(description="NAME.csv + this: the batch options of NAME.csv, as JSON.")
    max_rows_per_file: int
    max_file_bytes: int


class ScheduleRunBody(Documented):
    """One run of a schedule: the due time, the batch it started or why it started none."""

    due_at: str
    at: str
    batch_id: str | None
    error: str | None


class ScheduleBody(Documented):
    """A schedule: when it runs (a cron in a time zone, or a rate), what, and its last runs."""

    schedule_id: str
    name: str
    cron: str | None
    timezone: str
    rate_minutes: int | None
    source_key: str = Field(description="The file below your sources/ folder, read at each run.")
    options: dict[str, Any]
    paused: bool
    next_run_at: str | None = Field(description="None while paused.")
    last_runs: list[ScheduleRunBody] = Field(description="Newest first, at most 10.")
    created_at: str
    updated_at: str


class ScheduleList(Documented):
    """The tenant's schedules, oldest first."""

    schedules: list[ScheduleBody]
