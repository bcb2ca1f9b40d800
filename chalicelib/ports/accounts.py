"""Tenants, their hashed API keys, remembered column maps and credit top-ups."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.domain.models import Tenant

# A tenant's credit figures: balance, billing, lifetime credits_used and topped_up (older tenants
# may lack topped_up).
CreditTotals = dict[str, Any]
# One API key as listed: key_id, created_at, revoked_at (never the key or its hash).
ApiKeyInfo = dict[str, Any]


def key_id_for(key_hash: str) -> str:
    """The public id of an API key: short, derived from its hash, safe to list."""
    return f"key_{key_hash[:8]}"


class Accounts(Protocol):
    """Tenants (balance, billing kind, config), API keys by hash, column maps, top-ups."""

    def create_tenant(self, tenant: Tenant, key_hash: str) -> None:
        """Store a new tenant, its first API key and its opening top-up together."""

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, read consistently, or None."""

    def set_config(self, tenant_id: str, config: dict[str, Any], now: str) -> None:
        """Replace a tenant's enrichment configuration; NotFound for an unknown tenant."""

    def tenant_for_key(self, key_hash: str) -> str | None:
        """The tenant id an API key hash belongs to, or None (also once revoked)."""

    def add_credits(self, tenant_id: str, amount: int, now: str) -> int:
        """Top up a balance with its ledger entry, all or nothing; the new balance (NotFound)."""

    def credit_totals(self, tenant_id: str) -> CreditTotals | None:
        """A tenant's balance, billing and lifetime credits_used / topped_up, or None."""

    def add_api_key(self, tenant_id: str, key_hash: str, now: str) -> str:
        """Store another key of a tenant; its key_id (NotFound; Conflict if the key_id is taken)."""

    def api_keys(self, tenant_id: str) -> list[ApiKeyInfo] | None:
        """A tenant's keys, oldest first, or None for an unknown tenant."""

    def revoke_api_key(self, tenant_id: str, key_id: str, now: str) -> None:
        """Stop a key authenticating and record revoked_at once; NotFound for an unknown key."""

    def column_map(self, tenant_id: str, fingerprint: str) -> dict[str, str] | None:
        """The header -> field map this tenant last used for files with this header set."""

    def remember_column_map(self, tenant_id: str, fingerprint: str, mapping: dict[str, str],
                            now: str) -> None:
        """Remember a header -> field map for the next file with the same header set."""
