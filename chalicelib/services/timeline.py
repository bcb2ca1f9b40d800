"""GET /v1/batches/{id}/timeline: why a batch was charged what it was, in one answer."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.timeline import timeline_steps
from chalicelib.services.batches import get_batch
from chalicelib.services.ports import Ports


def batch_timeline(ports: Ports, tenant_id: str, batch_id: str) -> dict[str, Any]:
    """The batch's steps and charges in order; their credits add up to ``credits_spent``."""
    batch = get_batch(ports, tenant_id, batch_id)
    steps = timeline_steps(ports.timeline.events(batch_id), ports.ledger.charges(tenant_id, batch_id))
    return {"batch_id": batch_id, "status": batch.status.value, "credits_spent": batch.credits_spent,
            "steps": steps}
