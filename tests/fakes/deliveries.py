"""Webhook deliveries in memory, with the adapter's claims and leases."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus
from tests.fakes.tables import Tables


class InMemoryDeliveries:
    """The Deliveries port on a dict: each record holds the Delivery and its lease."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def put_new(self, delivery: Delivery, expires_at: int) -> bool:
        """Store a new delivery; False if it exists already."""
        with self._t.lock:
            key = (delivery.tenant_id, delivery.delivery_id)
            if key in self._t.deliveries:
                return False
            self._t.deliveries[key] = {"delivery": delivery, "lease_until": None, "lease_attempt": None,
                                       "expires_at": expires_at}
            return True

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        """One of a tenant's deliveries, or None."""
        with self._t.lock:
            held = self._t.deliveries.get((tenant_id, delivery_id))
            return held["delivery"] if held else None

    def for_batch(self, tenant_id: str, batch_id: str) -> list[Delivery]:
        """Every delivery of a batch's events, oldest first."""
        with self._t.lock:
            found = [h["delivery"] for (t, _), h in self._t.deliveries.items()
                     if t == tenant_id and h["delivery"].batch_id == batch_id]
            return sorted(found, key=lambda d: (d.created_at, d.delivery_id))

    def claim(self, tenant_id: str, delivery_id: str, attempt: int, lease_until: int, now: int) -> bool:
        """Take the right to make attempt ``attempt`` until ``lease_until``; False if not free."""
        with self._t.lock:
            held = self._t.deliveries.get((tenant_id, delivery_id))
            if held is None:
                return False
            delivery: Delivery = held["delivery"]
            leased = held["lease_until"] is not None and not held["lease_until"] < now
            if delivery.status is not DeliveryStatus.PENDING or delivery.attempts_made != attempt - 1 \
                    or leased:
                return False
            held.update(lease_until=lease_until, lease_attempt=attempt)
            return True

    def record(self, tenant_id: str, delivery_id: str, attempt: Attempt, status: DeliveryStatus,
               next_attempt_at: int) -> bool:
        """Log the claimed attempt and the delivery's new state; False if the claim was lost."""
        with self._t.lock:
            held = self._t.deliveries.get((tenant_id, delivery_id))
            if held is None or held["lease_attempt"] != attempt.attempt or \
                    held["delivery"].attempts_made != attempt.attempt - 1:
                return False
            before: Delivery = held["delivery"]
            held["delivery"] = replace(before, attempts_made=attempt.attempt, status=status,
                                       next_attempt_at=next_attempt_at,
                                       attempts=(*before.attempts, attempt))
            held.update(lease_until=None, lease_attempt=None)
            return True

    def reopen(self, tenant_id: str, delivery_id: str, now: int) -> Delivery | None:
        """Make a delivery pending again from ``now``; None if an attempt is in flight."""
        with self._t.lock:
            held = self._t.deliveries.get((tenant_id, delivery_id))
            if held is None or (held["lease_until"] is not None and not held["lease_until"] < now):
                return None
            held["delivery"] = replace(held["delivery"], status=DeliveryStatus.PENDING,
                                       first_attempt_at=now, next_attempt_at=now)
            reopened: Delivery = held["delivery"]
            return reopened
