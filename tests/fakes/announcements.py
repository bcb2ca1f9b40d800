"""The outbox marks in memory: ``Batch.announce`` in the batches dict, ``announce`` on tenants."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.models import BillingKind
from chalicelib.domain.webhooks import Announcement
from tests.fakes.tables import Tables


class InMemoryAnnouncements:
    """The Announcements port over the shared tables."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def pending(self) -> list[Announcement]:
        """Every mark still present, on batches and tenants."""
        with self._t.lock:
            found = [Announcement(t, b, batch.announce) for (t, b), batch in self._t.batches.items()
                     if batch.announce is not None]
            found += [Announcement(t, None, held["announce"]) for t, held in self._t.tenants.items()
                      if held.get("announce")]
            return found

    def tenant_mark(self, tenant_id: str) -> str | None:
        """The mark on a tenant, if any."""
        with self._t.lock:
            mark: str | None = self._t.tenants.get(tenant_id, {}).get("announce")
            return mark

    def mark_credits_low(self, tenant_id: str, threshold: int, mark: str) -> bool:
        """Mark a prepaid tenant's balance low once per fall below ``threshold``."""
        with self._t.lock:
            held = self._t.tenants.get(tenant_id)
            if held is None:
                return False
            tenant = held["tenant"]
            if tenant.billing is not BillingKind.PREPAID or tenant.balance >= threshold \
                    or tenant.low_balance_at is not None:
                return False
            held["tenant"] = replace(tenant, low_balance_at=mark)
            held["announce"] = mark
            return True

    def rearm_credits_low(self, tenant_id: str, threshold: int) -> None:
        """Forget that the balance was low once it is back at ``threshold`` or more."""
        with self._t.lock:
            held = self._t.tenants.get(tenant_id)
            if held is not None and held["tenant"].balance >= threshold:
                held["tenant"] = replace(held["tenant"], low_balance_at=None)

    def done(self, announcement: Announcement) -> None:
        """Remove a mark once its event is fanned out (a newer mark stays)."""
        with self._t.lock:
            if announcement.batch_id is None:
                held = self._t.tenants.get(announcement.tenant_id, {})
                if held.get("announce") == announcement.mark:
                    held.pop("announce")
                return
            key = (announcement.tenant_id, announcement.batch_id)
            batch = self._t.batches.get(key)
            if batch is not None and batch.announce == announcement.mark:
                self._t.batches[key] = replace(batch, announce=None)
