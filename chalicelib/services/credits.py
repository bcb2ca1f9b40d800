"""A tenant's credits: balance and spend figures, and the ledger a page at a time, newest first."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import BillingKind
from chalicelib.ports.ledger import ledger_position
from chalicelib.services.ports import Ports

# A ledger position: "{created_at}#{kind}#..." (see ledger_position); the cursor is its base64url.
_POSITION = re.compile(r"\d{4}-\d{2}-\d{2}T[^#\s]+#(topup|charge)#\S+")
_ENTRY_FIELDS = ("entry_id", "kind", "credits", "rows", "batch_id", "created_at")


def credit_summary(ports: Ports, tenant_id: str) -> dict[str, Any]:
    """Balance, billing kind, and what was spent this UTC month, ever, and topped up ever."""
    totals = ports.accounts.credit_totals(tenant_id)
    if totals is None:
        raise NotFound(f"No tenant {tenant_id!r}.")
    balance, spent = int(totals.get("balance", 0)), int(totals.get("credits_used", 0))
    billing = BillingKind(totals["billing"])
    if "topped_up" in totals:
        topped_up = int(totals["topped_up"])
    else:  # a tenant from before the counter: what a prepaid balance lost is what was spent
        topped_up = balance + spent if billing is BillingKind.PREPAID else balance
    month = ports.clock.now()[:7]  # "YYYY-MM" of an ISO-8601 UTC timestamp
    return {
        "balance": balance, "billing": billing.value,
        "spent_this_month": ports.ledger.spent_in_month(tenant_id, month),
        "spent_total": spent, "topped_up_total": topped_up,
    }


def ledger_page(ports: Ports, tenant_id: str, limit: int, cursor: str | None = None,
                kind: str | None = None, batch_id: str | None = None) -> dict[str, Any]:
    """One page of the tenant's ledger, newest first (of one ``kind``, of one batch), and the
    cursor of the next page (or None)."""
    before = decode_cursor(cursor, _POSITION) if cursor else None
    found = ports.ledger.newest_first(tenant_id, limit + 1, before, kind, batch_id)
    page = found[:limit]
    more = len(found) > limit
    return {
        "entries": [{name: entry.get(name) for name in _ENTRY_FIELDS} for entry in page],
        "next_cursor": encode_cursor(ledger_position(page[-1])) if more else None,
        "limit": limit,
    }
