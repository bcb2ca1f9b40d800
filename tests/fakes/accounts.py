"""Accounts in memory: tenants, hashed keys, column maps, top-ups."""

from __future__ import annotations

import copy
import secrets
from dataclasses import replace
from typing import Any

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import BillingKind, Tenant
from chalicelib.ports.accounts import ApiKeyInfo, CreditTotals, key_id_for
from chalicelib.ports.ledger import topup_entry
from tests.fakes.tables import Tables


class InMemoryAccounts:
    """The Accounts port on plain dicts."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def create_tenant(self, tenant: Tenant, key_hash: str) -> None:
        """Store a new tenant, its first key and its opening top-up together."""
        with self._t.lock:
            if tenant.tenant_id in self._t.tenants or key_hash in self._t.keys:
                raise Conflict(f"Tenant {tenant.tenant_id!r} or its key exists already.")
            self._t.tenants[tenant.tenant_id] = {
                "tenant": copy.deepcopy(tenant), "credits_used": 0, "topped_up": tenant.balance}
            self._t.keys[key_hash] = tenant.tenant_id
            self._t.key_lists[tenant.tenant_id] = {
                key_id_for(key_hash): {"key_hash": key_hash, "created_at": tenant.created_at}}
            self._t.add_entry(topup_entry(tenant.tenant_id, tenant.balance, tenant.created_at, "initial"))

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None."""
        with self._t.lock:
            held = self._t.tenants.get(tenant_id)
            return copy.deepcopy(held["tenant"]) if held else None

    def set_config(self, tenant_id: str, config: dict[str, Any], now: str) -> None:
        """Replace a tenant's configuration."""
        with self._t.lock:
            held = self._held(tenant_id)
            held["tenant"] = replace(held["tenant"], config=copy.deepcopy(config))
            held["config_updated_at"] = now

    def tenant_for_key(self, key_hash: str) -> str | None:
        """The tenant of a key hash, or None."""
        return self._t.keys.get(key_hash)

    def add_credits(self, tenant_id: str, amount: int, now: str) -> int:
        """Top up a balance and write its ledger entry; the new balance."""
        with self._t.lock:
            held = self._held(tenant_id)
            held["tenant"] = replace(held["tenant"], balance=held["tenant"].balance + amount)
            held["topped_up"] += amount
            self._t.add_entry(topup_entry(tenant_id, amount, now, secrets.token_hex(4)))
            return int(held["tenant"].balance)

    def credit_totals(self, tenant_id: str) -> CreditTotals | None:
        """Balance, billing, credits_used, topped_up; or None."""
        with self._t.lock:
            held = self._t.tenants.get(tenant_id)
            if held is None:
                return None
            tenant: Tenant = held["tenant"]
            return {"balance": tenant.balance, "billing": BillingKind(tenant.billing).value,
                    "credits_used": held["credits_used"], "topped_up": held["topped_up"]}

    def add_api_key(self, tenant_id: str, key_hash: str, now: str) -> str:
        """Store another key of a tenant; its key_id."""
        with self._t.lock:
            self._held(tenant_id)
            listed = self._t.key_lists.setdefault(tenant_id, {})
            key_id = key_id_for(key_hash)
            if key_id in listed or key_hash in self._t.keys:
                raise Conflict("This tenant already has a key with that key_id.")
            self._t.keys[key_hash] = tenant_id
            listed[key_id] = {"key_hash": key_hash, "created_at": now}
            return key_id

    def api_keys(self, tenant_id: str) -> list[ApiKeyInfo] | None:
        """A tenant's keys, oldest first, or None."""
        with self._t.lock:
            if tenant_id not in self._t.tenants:
                return None
            listed = [{"key_id": key_id, "created_at": key["created_at"],
                       "revoked_at": key.get("revoked_at")}
                      for key_id, key in self._t.key_lists.get(tenant_id, {}).items()]
            return sorted(listed, key=lambda key: (key["created_at"], key["key_id"]))

    def revoke_api_key(self, tenant_id: str, key_id: str, now: str) -> None:
        """Stop a key authenticating; record revoked_at once."""
        with self._t.lock:
            key = self._t.key_lists.get(tenant_id, {}).get(key_id)
            if key is None:
                raise NotFound(f"No API key {key_id!r} for tenant {tenant_id!r}.")
            self._t.keys.pop(key["key_hash"], None)
            key.setdefault("revoked_at", now)

    def column_map(self, tenant_id: str, fingerprint: str) -> dict[str, str] | None:
        """The remembered map for a header set, or None."""
        found = self._t.column_maps.get((tenant_id, fingerprint))
        return dict(found) if found is not None else None

    def remember_column_map(self, tenant_id: str, fingerprint: str, mapping: dict[str, str],
                            now: str) -> None:
        """Remember a map for a header set."""
        self._t.column_maps[(tenant_id, fingerprint)] = dict(mapping)

    def _held(self, tenant_id: str) -> dict[str, Any]:
        held = self._t.tenants.get(tenant_id)
        if held is None:
            raise NotFound(f"No tenant {tenant_id!r}.")
        return held
