"""Events marked on the items whose writes they report, until they are fanned out."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.webhooks import Announcement


class Announcements(Protocol):
    """The outbox marks on batches (set with their status) and tenants (``credits.low``).

    A status write sets its mark in the same write, so an event exists if and only if what it
    reports happened; the mark goes away once the event is fanned out into deliveries, so the
    marks still present are exactly the events whose fan-out was lost.
    """

    def pending(self) -> list[Announcement]:
        """Every mark still present, on batches and tenants (from sparse indexes, never a scan)."""

    def tenant_mark(self, tenant_id: str) -> str | None:
        """The mark on a tenant item, if any."""

    def mark_credits_low(self, tenant_id: str, threshold: int, mark: str) -> bool:
        """Mark a prepaid tenant's balance as low if it is below ``threshold`` and was not yet
        marked since it last rose to it; False otherwise."""

    def rearm_credits_low(self, tenant_id: str, threshold: int) -> None:
        """Forget that the balance was low once it is back at ``threshold`` or more."""

    def done(self, announcement: Announcement) -> None:
        """Remove a mark once its event is fanned out (a newer mark on the item stays)."""
