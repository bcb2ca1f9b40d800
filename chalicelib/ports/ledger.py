"""Reading a tenant's credit ledger (its entries are written by the moves of credits themselves)."""

from __future__ import annotations

from typing import Any, Protocol

# One entry: entry_id, kind (topup | charge), credits (+ top-up, - charge), created_at, at, and
# for a charge rows and batch_id.
LedgerEntry = dict[str, Any]


def charge_entry(tenant_id: str, batch_id: str, chunk: int, part: int, cost: int, rows: int,
                 now: str) -> LedgerEntry:
    """The entry of one charged chunk part."""
    return _entry(tenant_id, charge_entry_id(batch_id, chunk, part), "charge", -cost, now,
                  rows=rows, batch_id=batch_id)


def charge_entry_id(batch_id: str, chunk: int, part: int) -> str:
    """The id of a charge: it names the part, a second guard against charging a part twice."""
    return f"{charge_prefix(batch_id)}{chunk:06d}#{part:03d}"


def topup_entry(tenant_id: str, amount: int, now: str, suffix: str) -> LedgerEntry:
    """The entry of one top-up (``suffix`` tells two top-ups of one instant apart)."""
    return _entry(tenant_id, f"topup#{now}#{suffix}", "topup", amount, now)


def charge_prefix(batch_id: str) -> str:
    """What the ids of one batch's charges start with."""
    return f"charge#{batch_id}#"


def _entry(tenant_id: str, entry_id: str, kind: str, credits: int, now: str, **extra: Any) -> LedgerEntry:
    return {"tenant_id": tenant_id, "entry_id": entry_id, "kind": kind, "credits": credits,
            "created_at": now, "at": f"{now}#{entry_id}", **extra}


def ledger_position(entry: LedgerEntry) -> str:
    """Where a ledger entry sorts in time: its ``at``, ``{created_at}#{entry_id}``."""
    return str(entry.get("at") or f"{entry['created_at']}#{entry['entry_id']}")


class Ledger(Protocol):
    """Queries of a tenant's ledger."""

    def entries(self, tenant_id: str) -> list[LedgerEntry]:
        """Every ledger entry of a tenant."""

    def charges(self, tenant_id: str, batch_id: str) -> list[LedgerEntry]:
        """Every charge of one batch (by part)."""

    def spent_in_month(self, tenant_id: str, month: str) -> int:
        """Credits charged to a tenant in one UTC calendar month (``YYYY-MM``)."""

    def newest_first(self, tenant_id: str, count: int, before: str | None = None,
                     kind: str | None = None, batch_id: str | None = None) -> list[LedgerEntry]:
        """Up to ``count`` entries sorting before position ``before``, newest first, filtered."""
