"""Claimable anonymous uploads: a file sent without a key waits until a tenant claims it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import NotFound, Unauthorized
from chalicelib.domain.models import Batch, BatchStatus, Mode
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import pending_key
from chalicelib.services.batches import Submitted, new_batch_id, submit
from chalicelib.services.intake import list_price, read_file
from chalicelib.services.ports import Ports

ANONYMOUS = "anonymous"  # the partition unclaimed batches wait in
CLAIM_TTL_SECONDS = 7 * 86400
WAITING = "Waiting to be claimed: POST /v1/batches/{batch_id}/link with a tenant key and the upload_token."


@dataclass(frozen=True)
class Unclaimed:
    """An anonymous batch and the token that reads and claims it (shown once)."""

    batch: Batch
    upload_token: str
    intake: dict[str, Any]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_unclaimed(ports: Ports, data: bytes, filename: str, options: BatchOptions) -> Unclaimed:
    """Check and keep a file sent without a key; nothing runs or is charged until it is claimed."""
    layout, report = read_file(ports, data, options, lambda _: None)
    now, epoch = ports.clock.now(), ports.clock.epoch()
    batch_id = new_batch_id(epoch)
    # The price is the default one; the claiming tenant's own price applies from the claim on.
    batch = Batch(
        tenant_id=ANONYMOUS, batch_id=batch_id, name=options.name or filename,
        status=BatchStatus.VALIDATING, mode=Mode(options.mode), entity_type=layout.entity_type,
        price=list_price(ports, Mode(options.mode)), created_at=now, updated_at=now,
        input_key=pending_key(batch_id), metadata=options.metadata,
        max_credits=options.max_credits, row_limit=options.row_limit, platform=options.platform,
        message=WAITING.format(batch_id=batch_id),
    )
    token = f"bt_{secrets.token_urlsafe(24)}"
    ports.blobs.put(batch.input_key, data, "text/csv")
    ports.batches.put_new(batch)
    ports.markers.put_once(f"claim#{batch.batch_id}", {
        "token_hash": _hash(token), "filename": filename, "options": options.model_dump_json(),
    }, int(epoch) + CLAIM_TTL_SECONDS, int(epoch))
    return Unclaimed(batch, token, {"entity_type": layout.entity_type,
                                    "mapping": layout.mapping.to_json(),
                                    **report.to_json(batch.price)})


def _check_token(ports: Ports, batch_id: str, token: str) -> dict[str, Any]:
    claim = ports.markers.get(f"claim#{batch_id}")
    if claim is None or not hmac.compare_digest(claim["token_hash"], _hash(token.strip())):
        raise NotFound(f"No unclaimed batch {batch_id!r} for this upload token.")
    return claim


def unclaimed_status(ports: Ports, batch_id: str, authorization: str) -> Batch:
    """The status of an unclaimed batch, read with ``Authorization: Batch <upload_token>``."""
    _check_token(ports, batch_id, authorization.partition(" ")[2])
    batch = ports.batches.get(ANONYMOUS, batch_id)
    if batch is None:
        raise NotFound(f"No unclaimed batch {batch_id!r}.")
    return batch


def claim(ports: Ports, tenant_id: str, batch_id: str, token: str) -> Submitted:
    """Make an unclaimed batch the tenant's and start it (the tenant's checks and prices apply)."""
    if not token:
        raise Unauthorized("Send the upload_token the anonymous upload answered.")
    stored = _check_token(ports, batch_id, token)
    now = int(ports.clock.epoch())
    if not ports.markers.put_once(f"claimed#{batch_id}", {"tenant_id": tenant_id},
                                  now + CLAIM_TTL_SECONDS, now):
        raise NotFound(f"No unclaimed batch {batch_id!r}: it was claimed already.")
    try:
        waiting = ports.batches.get(ANONYMOUS, batch_id)
        data = ports.blobs.read(pending_key(batch_id))
        options = BatchOptions.model_validate_json(stored["options"])
        submitted = submit(ports, tenant_id, data, stored["filename"], options, batch_id,
                           created_at=waiting.created_at if waiting else None)
    except Exception:
        ports.markers.delete(f"claimed#{batch_id}")  # a refused claim leaves it claimable
        raise
    ports.markers.delete(f"claim#{batch_id}")
    ports.batches.transition(ANONYMOUS, batch_id, BatchStatus.CANCELLED, (BatchStatus.VALIDATING,),
                             ports.clock.now(), message=f"Claimed by a tenant as {batch_id}.")
    return submitted
