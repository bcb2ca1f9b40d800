"""The state the in-memory stores share, as DynamoDB's tables would: settle writes across four."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.models import Batch, ChunkState
from chalicelib.ports.ledger import LedgerEntry


@dataclass
class Tables:
    """Every record the fakes keep, one dict per table; ``lock`` makes each call atomic."""

    tenants: dict[str, dict[str, Any]] = field(default_factory=dict)  # tenant_id -> attributes
    keys: dict[str, str] = field(default_factory=dict)  # key hash -> tenant_id
    key_lists: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # tenant -> key_id -> key
    column_maps: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    ledger: dict[str, dict[str, LedgerEntry]] = field(default_factory=dict)  # tenant -> entry_id -> entry
    batches: dict[tuple[str, str], Batch] = field(default_factory=dict)
    chunks: dict[str, dict[int, ChunkState]] = field(default_factory=dict)  # batch_id -> chunk -> state
    markers: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[tuple[str, str], Any] = field(default_factory=dict)  # (tenant, id) -> Endpoint
    tenant_secrets: dict[str, Any] = field(default_factory=dict)  # tenant -> TenantSecret
    deliveries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # delivery + lease
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_entry(self, entry: LedgerEntry) -> None:
        """Write a ledger entry (its id is new: the callers checked)."""
        self.ledger.setdefault(entry["tenant_id"], {})[entry["entry_id"]] = dict(entry)
