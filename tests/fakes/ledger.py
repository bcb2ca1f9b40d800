"""The ledger in memory: the entries the other fakes wrote, queried as the adapter does."""

from __future__ import annotations

import copy
import heapq

from chalicelib.ports.ledger import LedgerEntry, charge_prefix, ledger_position
from tests.fakes.tables import Tables


class InMemoryLedger:
    """The Ledger port over the shared tables."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def entries(self, tenant_id: str) -> list[LedgerEntry]:
        """Every entry of a tenant, by entry id."""
        with self._t.lock:
            held = self._t.ledger.get(tenant_id, {})
            return [copy.deepcopy(held[entry_id]) for entry_id in sorted(held)]

    def charges(self, tenant_id: str, batch_id: str) -> list[LedgerEntry]:
        """Every charge of one batch."""
        return [e for e in self.entries(tenant_id) if str(e["entry_id"]).startswith(charge_prefix(batch_id))]

    def spent_in_month(self, tenant_id: str, month: str) -> int:
        """Credits charged in one UTC month (``YYYY-MM``)."""
        return -sum(int(e["credits"]) for e in self.entries(tenant_id)
                    if e["kind"] == "charge" and str(e["created_at"]).startswith(month))

    def newest_first(self, tenant_id: str, count: int, before: str | None = None,
                     kind: str | None = None, batch_id: str | None = None) -> list[LedgerEntry]:
        """Up to ``count`` entries before ``before``, newest first, filtered."""
        return heapq.nlargest(count, (
            e for e in self.entries(tenant_id)
            if (kind is None or e["kind"] == kind)
            and (batch_id is None or str(e["entry_id"]).startswith(charge_prefix(batch_id)))
            and (before is None or ledger_position(e) < before)
        ), key=ledger_position)
