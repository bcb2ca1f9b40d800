"""Webhook deliveries and the log of their attempts."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus


class Deliveries(Protocol):
    """One record per event and target, with every attempt made to deliver it."""

    def put_new(self, delivery: Delivery, expires_at: int) -> bool:
        """Store a new delivery (kept until ``expires_at``); False if it exists already."""

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        """One of a tenant's deliveries, read consistently, or None (also for another tenant's)."""

    def for_batch(self, tenant_id: str, batch_id: str) -> list[Delivery]:
        """Every delivery of a batch's events, oldest first."""

    def claim(self, tenant_id: str, delivery_id: str, attempt: int, lease_until: int, now: int) -> bool:
        """Take the right to make attempt ``attempt`` of a pending delivery until ``lease_until``;
        False if it is not pending, the attempt is not its next one, or another holds a live lease."""

    def record(self, tenant_id: str, delivery_id: str, attempt: Attempt, status: DeliveryStatus,
               next_attempt_at: int) -> bool:
        """Log the claimed attempt, set the delivery's status and next attempt, release the lease;
        False if the claim was lost (another took the attempt over)."""

    def reopen(self, tenant_id: str, delivery_id: str, now: int) -> Delivery | None:
        """Make a delivery pending again from ``now`` (a new retry window) for a re-send; None if
        an attempt is in flight (a live lease)."""
