"""Presigned uploads: a batch that waits (``awaiting_upload``) for a file sent straight to S3.

``POST /v1/uploads`` checks what the API checks before a file exists (options, webhook target,
the size against upload_form_max_bytes, the minimum balance), records the batch and answers a
presigned POST for exactly its input key, valid upload_form_seconds. The file's S3 event starts
the split (``services/splitting.py`` moves the batch to ``validating``; the file's own checks
happen there, with the max_rows_per_file row limit). The tick fails, uncharged, an upload whose
file never came (``expire_uploads``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.errors import InsufficientCredits, InvalidRequest
from chalicelib.domain.models import Batch, BatchStatus, BillingKind
from chalicelib.domain.upload_requests import UploadCreate
from chalicelib.observability import logger
from chalicelib.services.announcing import announce, marked
from chalicelib.services.batches import record_batch
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant

# S3 delivers an object's event within seconds, rarely minutes: an upload is given up this long
# after its form expired (a file POSTed at the last second still starts its batch).
EXPIRY_GRACE_SECONDS = 300


def check_can_start(ports: Ports, tenant_id: str) -> None:
    """402 when a prepaid tenant's balance is below the minimum to start a batch."""
    tenant = get_tenant(ports, tenant_id)
    needed = ports.settings.min_balance_to_start
    if tenant.billing is BillingKind.PREPAID and tenant.balance < needed:
        raise InsufficientCredits(
            f"A batch needs a balance of at least {needed} credits to start; the balance is "
            f"{tenant.balance}. Top up at least {needed - tenant.balance} credits.",
            credits_required=needed, credits_remaining=tenant.balance)


def create_upload(ports: Ports, tenant_id: str, request: UploadCreate) -> tuple[Batch, dict[str, Any]]:
    """The batch waiting for its file, and the presigned POST that brings it."""
    limit = ports.settings.upload_form_max_bytes
    if request.size > limit:
        raise InvalidRequest(f"size: {request.size} bytes is more than the {limit} bytes an upload "
                             "may have; split the file.", field="size")
    check_can_start(ports, tenant_id)
    ttl = ports.settings.upload_form_seconds
    expires = int(ports.clock.epoch()) + ttl
    batch = record_batch(ports, tenant_id, request.filename, request.options(),
                         status=BatchStatus.AWAITING_UPLOAD, origin="upload", upload_expires_at=expires)
    form = ports.blobs.upload_form(batch.input_key, limit, ttl)
    return batch, {**form, "method": "POST", "max_bytes": limit,
                   "expires_at": datetime.fromtimestamp(expires, UTC).isoformat().replace("+00:00", "Z")}


def expire_uploads(ports: Ports, open_batches: list[Batch]) -> list[str]:
    """The tick's part: fail (uncharged) the uploads whose file never came; the batch ids."""
    now = int(ports.clock.epoch())
    expired = []
    for batch in open_batches:
        due = batch.upload_expires_at
        if batch.status is not BatchStatus.AWAITING_UPLOAD or due is None or now < due + EXPIRY_GRACE_SECONDS:
            continue
        at = ports.clock.now()
        if ports.blobs.exists(batch.input_key):  # it came, its event was lost: the tick splits it
            ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.VALIDATING,
                                     (BatchStatus.AWAITING_UPLOAD,), at)
            continue
        reason = ("The file was not uploaded before its upload form expired; nothing was "
                  "charged. Ask for a new upload with POST /v1/uploads.")
        failed = ports.batches.transition(batch.tenant_id, batch.batch_id, BatchStatus.FAILED,
                                          (BatchStatus.AWAITING_UPLOAD,), at, message=reason,
                                          finished_at=at, **marked(batch, BatchStatus.FAILED, at))
        announce(ports, failed)
        if failed is not None:
            expired.append(batch.batch_id)
    if expired:
        logger.info("uploads expired", extra={"batch_ids": expired})
    return expired
