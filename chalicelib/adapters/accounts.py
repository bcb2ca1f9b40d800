"""DynamoDB adapter for tenants, their hashed API keys and the writes of their credit ledger."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import (
    TRANSACTION_CANCELED,
    Item,
    from_dynamo,
    refusal_raises,
    to_dynamo,
    value,
)
from chalicelib.adapters.ledger import entry_put
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import BillingKind, Tenant
from chalicelib.ports.accounts import key_id_for
from chalicelib.ports.ledger import topup_entry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

def _keys_record(tenant_id: str) -> Any:
    # The api-keys item that lists a tenant's keys; '#' never occurs in a SHA-256 hex digest.
    return {"key_hash": value(f"tenant#{tenant_id}")}



def tenant_from_item(raw: dict[str, Any]) -> Tenant:
    """A tenant from its item as DynamoDB returns it."""
    item = from_dynamo(raw)
    return Tenant(
        tenant_id=item["tenant_id"], name=item["name"], balance=item["balance"],
        billing=BillingKind(item["billing"]), created_at=item["created_at"],
        config=json.loads(item.get("config", "{}")), low_balance_at=item.get("low_balance_at"),
    )

class AccountStore:
    """Tenants (balance, billing kind), API keys by hash, and ledger entries."""

    def __init__(self, client: DynamoDBClient, tenants: str, api_keys: str, ledger: str,
                 column_maps: str) -> None:
        self._db = client
        self._tenants = tenants
        self._keys = api_keys
        self._ledger = ledger
        self._column_maps = column_maps

    def column_map(self, tenant_id: str, fingerprint: str) -> dict[str, str] | None:
        """The header -> field map this tenant last used for files with this header set."""
        got = self._db.get_item(TableName=self._column_maps, Key={
            "tenant_id": value(tenant_id), "fingerprint": value(fingerprint)})
        return json.loads(from_dynamo(got["Item"])["map"]) if "Item" in got else None

    def remember_column_map(self, tenant_id: str, fingerprint: str, mapping: dict[str, str],
                            now: str) -> None:
        """Remember a header -> field map for the next file with the same header set."""
        self._db.put_item(TableName=self._column_maps, Item=to_dynamo({
            "tenant_id": tenant_id, "fingerprint": fingerprint, "map": json.dumps(mapping),
            "updated_at": now}))

    def create_tenant(self, tenant: Tenant, key_hash: str) -> None:
        """Store a new tenant, its first API key and its opening top-up together (Conflict)."""
        taken = Conflict(f"Tenant {tenant.tenant_id!r} or its key exists already.")
        with refusal_raises(taken, TRANSACTION_CANCELED):
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._tenants,
                            "Item": to_dynamo(
                                {
                                    "tenant_id": tenant.tenant_id, "name": tenant.name,
                                    "balance": tenant.balance, "billing": tenant.billing.value,
                                    "created_at": tenant.created_at, "credits_used": 0,
                                    "topped_up": tenant.balance,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(tenant_id)",
                        }
                    },
                    {"Put": self._key_put(key_hash, tenant.tenant_id, tenant.created_at)},
                    {"Put": {
                        "TableName": self._keys,
                        "Item": {**_keys_record(tenant.tenant_id), "keys": value({
                            key_id_for(key_hash): {"key_hash": key_hash, "created_at": tenant.created_at}})},
                        "ConditionExpression": "attribute_not_exists(key_hash)",
                    }},
                    {"Put": entry_put(self._ledger, topup_entry(tenant.tenant_id, tenant.balance,
                                                                tenant.created_at, "initial"))},
                ]
            )

    def _key_put(self, key_hash: str, tenant_id: str, now: str) -> Any:
        return {
            "TableName": self._keys,
            "Item": to_dynamo({"key_hash": key_hash, "tenant_id": tenant_id, "created_at": now}),
            "ConditionExpression": "attribute_not_exists(key_hash)",
        }

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, read consistently, or None."""
        got = self._db.get_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)}, ConsistentRead=True
        )
        return tenant_from_item(got["Item"]) if "Item" in got else None

    def set_config(self, tenant_id: str, config: dict[str, Any], now: str) -> None:
        """Replace a tenant's enrichment configuration (sources and prices)."""
        with refusal_raises(NotFound(f"No tenant {tenant_id!r}.")):
            self._db.update_item(
                TableName=self._tenants, Key={"tenant_id": value(tenant_id)},
                UpdateExpression="SET config = :config, config_updated_at = :now",
                ConditionExpression="attribute_exists(tenant_id)",
                ExpressionAttributeValues={":config": value(json.dumps(config)), ":now": value(now)},
            )

    def tenant_for_key(self, key_hash: str) -> str | None:
        """The tenant id an API key hash belongs to, or None."""
        got = self._db.get_item(TableName=self._keys, Key={"key_hash": value(key_hash)})
        return str(from_dynamo(got["Item"])["tenant_id"]) if "Item" in got else None

    def add_credits(self, tenant_id: str, amount: int, now: str) -> int:
        """Top up a balance and write its ledger entry in one transaction; returns the new balance."""
        with refusal_raises(NotFound(f"No tenant {tenant_id!r}."), TRANSACTION_CANCELED):
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._tenants,
                            "Key": {"tenant_id": value(tenant_id)},
                            "UpdateExpression": "ADD balance :amount, topped_up :amount",
                            "ConditionExpression": "attribute_exists(tenant_id)",
                            "ExpressionAttributeValues": {":amount": value(amount)},
                        }
                    },
                    {"Put": entry_put(self._ledger,
                                      topup_entry(tenant_id, amount, now, secrets.token_hex(4)))},
                ]
            )
        tenant = self.get_tenant(tenant_id)
        assert tenant is not None
        return tenant.balance

    def credit_totals(self, tenant_id: str) -> Item | None:
        """A tenant's ``balance``, ``billing`` and lifetime ``credits_used`` / ``topped_up``, or None."""
        got = self._db.get_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)}, ConsistentRead=True,
            ProjectionExpression="#b, #k, #u, #t",
            ExpressionAttributeNames={"#b": "balance", "#k": "billing", "#u": "credits_used",
                                      "#t": "topped_up"},
        )
        return from_dynamo(got["Item"]) if "Item" in got else None

    def add_api_key(self, tenant_id: str, key_hash: str, now: str) -> str:
        """Store another API key of an existing tenant; returns its key_id."""
        if self.get_tenant(tenant_id) is None:
            raise NotFound(f"No tenant {tenant_id!r}.")
        names = {"#keys": "keys", "#id": key_id_for(key_hash)}
        # tenants created before the keys record existed get an empty one first
        self._db.update_item(TableName=self._keys, Key=_keys_record(tenant_id),
                             UpdateExpression="SET #keys = if_not_exists(#keys, :empty)",
                             ExpressionAttributeNames={"#keys": "keys"},
                             ExpressionAttributeValues={":empty": value({})})
        clash = Conflict("This tenant already has a key with that key_id.")
        with refusal_raises(clash, TRANSACTION_CANCELED):
            self._db.transact_write_items(TransactItems=[
                {"Put": self._key_put(key_hash, tenant_id, now)},
                {"Update": {
                    "TableName": self._keys, "Key": _keys_record(tenant_id),
                    "UpdateExpression": "SET #keys.#id = :key",
                    "ConditionExpression": "attribute_not_exists(#keys.#id)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": {":key": value({"key_hash": key_hash, "created_at": now})},
                }},
            ])
        return names["#id"]

    def api_keys(self, tenant_id: str) -> list[Item] | None:
        """A tenant's keys as ``{key_id, created_at, revoked_at}`` (oldest first), or None: no tenant."""
        got = self._db.get_item(TableName=self._keys, Key=_keys_record(tenant_id), ConsistentRead=True)
        if "Item" not in got:
            return [] if self.get_tenant(tenant_id) is not None else None
        keys: dict[str, Item] = from_dynamo(got["Item"]).get("keys", {})
        listed = [{"key_id": key_id, "created_at": key["created_at"], "revoked_at": key.get("revoked_at")}
                  for key_id, key in keys.items()]
        return sorted(listed, key=lambda key: (key["created_at"], key["key_id"]))

    def revoke_api_key(self, tenant_id: str, key_id: str, now: str) -> None:
        """Delete a key's item (authentication stops) and record ``revoked_at``; idempotent."""
        got = self._db.get_item(TableName=self._keys, Key=_keys_record(tenant_id), ConsistentRead=True)
        key = from_dynamo(got.get("Item", {})).get("keys", {}).get(key_id)
        if key is None:
            raise NotFound(f"No API key {key_id!r} for tenant {tenant_id!r}.")
        raced = Conflict("The tenant's keys changed while revoking; try again.")  # another key change
        with refusal_raises(raced, TRANSACTION_CANCELED):
            self._db.transact_write_items(TransactItems=[
                {"Delete": {"TableName": self._keys, "Key": {"key_hash": value(key["key_hash"])}}},
                {"Update": {
                    "TableName": self._keys, "Key": _keys_record(tenant_id),
                    "UpdateExpression":
                        "SET #keys.#id.revoked_at = if_not_exists(#keys.#id.revoked_at, :now)",
                    "ConditionExpression": "attribute_exists(#keys.#id)",
                    "ExpressionAttributeNames": {"#keys": "keys", "#id": key_id},
                    "ExpressionAttributeValues": {":now": value(now)},
                }},
            ])
