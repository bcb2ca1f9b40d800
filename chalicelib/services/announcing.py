"""Events out of status writes: the mark a write sets, the fan-out rung after it, and recovery.

A status write that customers hear about (``domain.webhooks.EVENT_OF_STATUS``) sets the mark
``announce = "{event}@{at}"`` on the batch item in the same write, so a crash before the write
announces nothing; after the write, ``announce`` sends one fan-out message. If that message is
lost (a crash between the write and the send), the mark stays: the tick finds it in the sparse
``announcing`` index and sends the fan-out again (``recover``). Fan-out is idempotent (delivery
ids derive from the event and the target), and it removes the mark when done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import topology
from chalicelib.domain.billing import PauseReason, pause_status
from chalicelib.domain.models import Batch, BatchStatus, BillingKind, Tenant
from chalicelib.domain.webhook_messages import FanOutMessage
from chalicelib.domain.webhooks import EVENT_OF_STATUS, WebhookEvent, announcement
from chalicelib.observability import logger, request_id
from chalicelib.services.ports import Ports


def marked(batch: Batch, status: BatchStatus, at: str) -> dict[str, Any]:
    """The field a write moving ``batch`` to ``status`` at ``at`` sets: its event's mark, if the
    status is announced and the batch has a webhook or an outbox (nothing otherwise)."""
    event = EVENT_OF_STATUS.get(status)
    if event is None or not (batch.webhook_id or batch.webhook_url or batch.outbox):
        return {}
    return {"announce": announcement(event, at)}


def pause_mark(batch: Batch, pause: PauseReason | None, at: str) -> str | None:
    """The event mark of the pause a settlement makes, if it makes one (and anyone listens)."""
    pausing = pause_status(pause)
    return marked(batch, pausing, at).get("announce") if pausing else None


def marked_by_id(ports: Ports, tenant_id: str, batch_id: str, status: BatchStatus,
                 at: str) -> dict[str, Any]:
    """``marked`` for a batch known by its id (read first: the mark depends on its webhook)."""
    batch = ports.batches.get(tenant_id, batch_id)
    return marked(batch, status, at) if batch is not None else {}


def announce(ports: Ports, batch: Batch | None) -> None:
    """After a status write that set a mark: fan its event out (the tick does it if this is lost)."""
    if batch is not None and batch.announce is not None:
        ring(ports, batch.tenant_id, batch.batch_id)


def ring(ports: Ports, tenant_id: str, batch_id: str | None) -> None:
    """Ask the deliver function to fan out the event marked on a batch (or on the tenant)."""
    body = FanOutMessage(tenant_id=tenant_id, batch_id=batch_id, request_id=request_id()).model_dump_json()
    ports.queue.send(ports.queue_name(topology.DELIVER), [body])


def credits_low_threshold(ports: Ports, tenant: Tenant) -> int:
    """The balance below which the tenant hears ``credits.low``: its own, else the service's."""
    own = tenant.config.get("credits_low_threshold")
    return int(own) if own is not None else ports.settings.credits_low_threshold


def check_credits_low(ports: Ports, tenant: Tenant, balance: int) -> bool:
    """After charges left ``balance``: mark and announce ``credits.low`` once per fall below the
    threshold. ``tenant`` is as last read (it says whether this fall was announced already)."""
    if tenant.billing is not BillingKind.PREPAID or tenant.low_balance_at is not None:
        return False
    threshold = credits_low_threshold(ports, tenant)
    if balance >= threshold:
        return False
    mark = announcement(WebhookEvent.CREDITS_LOW, ports.clock.now())
    if not ports.announcements.mark_credits_low(tenant.tenant_id, threshold, mark):
        return False
    ring(ports, tenant.tenant_id, None)
    return True


def rearm_credits_low(ports: Ports, tenant: Tenant, balance: int) -> None:
    """After a top-up to ``balance``: the next fall below the threshold is announced again."""
    if tenant.low_balance_at is not None and balance >= credits_low_threshold(ports, tenant):
        ports.announcements.rearm_credits_low(tenant.tenant_id, credits_low_threshold(ports, tenant))


def recover(ports: Ports) -> list[str]:
    """The tick's part: fan out again every event marked longer ago than a fan-out takes."""
    now = ports.clock.epoch()
    again = []
    for pending in ports.announcements.pending():
        at = datetime.fromisoformat(pending.mark.split("@", 1)[1]).timestamp()
        if now - at >= ports.settings.webhook_refan_after_seconds:
            ring(ports, pending.tenant_id, pending.batch_id)
            again.append(pending.batch_id or pending.tenant_id)
    if again:
        logger.warning("events fanned out again", extra={"subjects": again})
    return again
