"""``Idempotency-Key`` on create: the same key from the same tenant within 24 h is one batch."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from chalicelib.domain.errors import Conflict, InvalidRequest
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import get_batch, new_batch_id
from chalicelib.services.ports import Ports

KEY_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


def request_hash(data: bytes, options: BatchOptions) -> str:
    """What makes two creates the same request: the file's bytes and the options."""
    digest = hashlib.sha256(data)
    digest.update(options.model_dump_json().encode())
    return digest.hexdigest()


def create_once(ports: Ports, tenant_id: str, key: str, fingerprint: str,
                create: Callable[[str], Batch]) -> tuple[Batch, bool]:
    """Create under ``key`` once; a repeat answers the first batch (and False), a changed body 409."""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                             field="Idempotency-Key")
    marker = f"idem#{tenant_id}#{key}"
    now = int(ports.clock.epoch())
    batch_id = new_batch_id(ports.clock.epoch())
    if ports.markers.put_once(marker, {"batch_id": batch_id, "request": fingerprint},
                              now + KEY_TTL_SECONDS, now):
        try:
            return create(batch_id), True
        except Exception:
            ports.markers.delete(marker)  # a refused request leaves the key free for a fixed one
            raise
    first = ports.markers.get(marker)
    if first is None or first["request"] != fingerprint:
        raise Conflict("This Idempotency-Key was used with a different request in the last 24 "
                       "hours. Use a new key for a new batch.")
    try:
        return get_batch(ports, tenant_id, first["batch_id"]), False
    except Exception as exc:
        raise Conflict("A request with this Idempotency-Key is still being created; retry "
                       "in a moment.", retry_after=1) from exc
