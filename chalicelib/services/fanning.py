"""Fan-out: the event marked on a batch or tenant becomes one delivery per target, then the mark goes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib import topology
from chalicelib.domain.status import status_body
from chalicelib.domain.webhook_messages import AttemptMessage
from chalicelib.domain.webhooks import (
    Announcement,
    Delivery,
    WebhookEvent,
    announced_event,
    delivery_id,
    event_id,
)
from chalicelib.observability import metrics, request_id
from chalicelib.services.announcing import credits_low_threshold
from chalicelib.services.outbox import publish
from chalicelib.services.ports import Ports

Target = tuple[str | None, str]  # (endpoint id, or None for a batch's own webhook_url; URL)
DELETED = "(endpoint deleted)"


def fan_out(ports: Ports, tenant_id: str, batch_id: str | None) -> int:
    """Deliveries for the event marked now on the batch (or tenant); the number of targets.

    Safe to repeat: a delivery that exists is not made again, only asked for again (its attempt
    message is dropped if the attempt was made), and the mark is removed last.
    """
    found = _batch_event(ports, tenant_id, batch_id) if batch_id else _tenant_event(ports, tenant_id)
    if found is None:
        return 0
    mark, data, targets = found
    event = announced_event(mark)
    evt = event_id(tenant_id, batch_id or "tenant", mark)
    at = datetime.fromisoformat(mark.split("@", 1)[1])
    payload = json.dumps({"type": event.value, "timestamp": at.isoformat().replace("+00:00", "Z"),
                          "data": data}, separators=(",", ":"), ensure_ascii=False)
    now = int(ports.clock.epoch())
    expires = now + ports.settings.webhook_log_days * 86400
    messages = []
    for webhook_id, url in targets:
        delivery = Delivery(
            tenant_id=tenant_id, delivery_id=delivery_id(evt, webhook_id or url), event_id=evt,
            event_type=event, url=url, payload=payload, created_at=ports.clock.now(),
            first_attempt_at=now, next_attempt_at=now, webhook_id=webhook_id, batch_id=batch_id)
        ports.deliveries.put_new(delivery, expires)
        messages.append(AttemptMessage(tenant_id=tenant_id, delivery_id=delivery.delivery_id, attempt=1,
                                       batch_id=batch_id, request_id=request_id()).model_dump_json())
    ports.queue.send(ports.queue_name(topology.DELIVER), messages)
    metrics.count("WebhookEvents", event=event.value)
    publish(ports, tenant_id, batch_id)  # a dropped file's outbox/ (before the mark goes)
    ports.announcements.done(Announcement(tenant_id, batch_id, mark))
    return len(targets)


def _batch_event(ports: Ports, tenant_id: str, batch_id: str,
                 ) -> tuple[str, dict[str, Any], list[Target]] | None:
    """The batch's mark, its status body, and where the event goes (its endpoint if subscribed,
    its own URL). An endpoint deleted since keeps a delivery, which fails saying so."""
    batch = ports.batches.get(tenant_id, batch_id)
    if batch is None or batch.announce is None:
        return None  # fanned out already (or by a newer mark's message)
    event = announced_event(batch.announce)
    targets: list[Target] = []
    if batch.webhook_id:
        endpoint = ports.webhooks.get(tenant_id, batch.webhook_id)
        if endpoint is None:
            targets.append((batch.webhook_id, DELETED))
        elif event in endpoint.events:
            targets.append((endpoint.webhook_id, endpoint.url))
    if batch.webhook_url:
        targets.append((None, batch.webhook_url))
    return batch.announce, status_body(batch), targets


def _tenant_event(ports: Ports, tenant_id: str) -> tuple[str, dict[str, Any], list[Target]] | None:
    """credits.low: the balance and the threshold, to every endpoint subscribed to it."""
    mark = ports.announcements.tenant_mark(tenant_id)
    tenant = ports.accounts.get_tenant(tenant_id)
    if mark is None or tenant is None:
        return None
    data = {"tenant_id": tenant_id, "balance": tenant.balance,
            "threshold": credits_low_threshold(ports, tenant)}
    targets: list[Target] = [(e.webhook_id, e.url) for e in ports.webhooks.endpoints(tenant_id)
                             if WebhookEvent.CREDITS_LOW in e.events]
    return mark, data, targets
