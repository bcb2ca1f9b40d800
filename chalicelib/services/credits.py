"""A tenant's credits: balance and spend figures, and the ledger a page at a time, newest first."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import BillingKind
from chalicelib.ports.ledger import ledger_position
from chalicelib.services.ports import Ports

# A ledger position: "{created_at}#{kind}#..." (see ledger_position); the cursor is its base64url.
_POSITION = re.compile(r"\d{4}-\d{2}-\d{2}T[^#\s]+#(topup|charge)#\S+")
_ENTRY_FIELDS = ("entry_id", "kind", "credits", "rows", "batch_id", "created_at")


LEDGER_PAGE = 200  # largest page of the ledger


class LedgerQuery(BaseModel):
    """Query string of ``GET /v1/credits/ledger``."""

    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1)  # served at most LEDGER_PAGE a page
    cursor: str | None = Field(default=None, max_length=500)
    kind: Literal["topup", "charge"] | None = None
    batch_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


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


def ledger_page(ports: Ports, tenant_id: str, query: LedgerQuery) -> dict[str, Any]:
    """One page of the tenant's ledger, newest first, and the cursor of the next page (or None)."""
    before = decode_cursor(query.cursor, _POSITION) if query.cursor else None
    found = ports.ledger.newest_first(tenant_id, query.limit + 1, before, query.kind,
                                               query.batch_id)
    page = found[:query.limit]
    more = len(found) > query.limit
    return {
        "entries": [{name: entry.get(name) for name in _ENTRY_FIELDS} for entry in page],
        "next_cursor": encode_cursor(ledger_position(page[-1])) if more else None,
        "limit": query.limit,
    }
