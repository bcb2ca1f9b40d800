"""A tenant, a batch and settle requests shaped as a 100-row chunk of the generated leads file
settles them (``request_probe``): four writes, the counters, the enrichers' finds, the part's shape."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.billing import Counted, Settlement
from chalicelib.domain.models import Batch, BatchStatus, BillingKind, Mode, PartRecord, Tenant
from chalicelib.domain.parts import PartShape
from chalicelib.ports.settlements import SettleRequest

_NOW = "2026-11-26T18:00:00Z"
_TENANT = "t_probe"
_BATCH = "b_" + "0" * 21 + "1"
_FOUND = {"email": 97, "phone": 94, "name": 96, "company": 90, "address": 80}
_COLUMNS = tuple(f"enrich_{source}_{field}" for source in _FOUND
                 for field in ("value", "status", "kind", "country", "detail"))


def books(ports: Any) -> Batch:
    """A prepaid tenant with credits for every request and a processing batch; the batch."""
    ports.accounts.create_tenant(Tenant(_TENANT, "Probe", 10**12, BillingKind.PREPAID, _NOW), "probe-key")
    batch = Batch(_TENANT, _BATCH, "leads.csv", BatchStatus.PROCESSING, Mode.BASIC, "person", 1,
                  _NOW, _NOW, f"uploads/{_TENANT}/{_BATCH}/input.csv",
                  column_map={"Email": "email", "Phone": "phone", "Name": "full_name"},
                  fields={"email": 1, "phone": 2, "full_name": 0}, total_rows=10**6, chunks_total=10**4)
    ports.batches.put_new(batch)
    return batch


def settle_request(batch: Batch, n: int) -> SettleRequest:
    """Chunk ``n``'s first part: 97 rows matched, 3 not found (``n`` < 0: warm-up chunks)."""
    chunk = n + 1000 if n < 0 else n
    settlement = Settlement(rows=100, settled=100, cost=97, completed=97, not_found=3, failed=0,
                            skipped=0, parked=0, found=dict(_FOUND))
    return SettleRequest(batch, chunk, 0, settlement, PartRecord(f"p{chunk}-0-a", 0, 100),
                         prepaid=True, before=Counted(), now=_NOW, shape=PartShape(_COLUMNS, 6))
