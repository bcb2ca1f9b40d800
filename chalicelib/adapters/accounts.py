"""DynamoDB adapter for tenants, their hashed API keys and their credit ledger."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import error_code, from_dynamo, to_dynamo, value
from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import BillingKind, Tenant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


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
        """Store a new tenant and its first API key together."""
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
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(tenant_id)",
                    }
                },
                {"Put": self._key_put(key_hash, tenant.tenant_id, tenant.created_at)},
                {"Put": self._ledger_put(tenant.tenant_id, f"topup#{tenant.created_at}#initial",
                                         "topup", tenant.balance, tenant.created_at)},
            ]
        )

    def _key_put(self, key_hash: str, tenant_id: str, now: str) -> Any:
        return {
            "TableName": self._keys,
            "Item": to_dynamo({"key_hash": key_hash, "tenant_id": tenant_id, "created_at": now}),
            "ConditionExpression": "attribute_not_exists(key_hash)",
        }

    def _ledger_put(self, tenant_id: str, entry_id: str, kind: str, credits: int, now: str,
                    **extra: Any) -> Any:
        item = {"tenant_id": tenant_id, "entry_id": entry_id, "kind": kind, "credits": credits,
                "created_at": now, **extra}
        return {
            "TableName": self._ledger,
            "Item": to_dynamo(item),
            "ConditionExpression": "attribute_not_exists(entry_id)",
        }

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, read consistently, or None."""
        got = self._db.get_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)}, ConsistentRead=True
        )
        if "Item" not in got:
            return None
        item = from_dynamo(got["Item"])
        return Tenant(
            tenant_id=item["tenant_id"], name=item["name"], balance=item["balance"],
            billing=BillingKind(item["billing"]), created_at=item["created_at"],
            config=json.loads(item.get("config", "{}")),
        )

    def set_config(self, tenant_id: str, config: dict[str, Any], now: str) -> None:
        """Replace a tenant's enrichment configuration (sources and prices)."""
        try:
            self._db.update_item(
                TableName=self._tenants, Key={"tenant_id": value(tenant_id)},
                UpdateExpression="SET config = :config, config_updated_at = :now",
                ConditionExpression="attribute_exists(tenant_id)",
                ExpressionAttributeValues={":config": value(json.dumps(config)), ":now": value(now)},
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise NotFound(f"No tenant {tenant_id!r}.") from exc
            raise

    def tenant_for_key(self, key_hash: str) -> str | None:
        """The tenant id an API key hash belongs to, or None."""
        got = self._db.get_item(TableName=self._keys, Key={"key_hash": value(key_hash)})
        return str(from_dynamo(got["Item"])["tenant_id"]) if "Item" in got else None

    def add_credits(self, tenant_id: str, amount: int, entry_id: str, now: str) -> int:
        """Top up a balance and write its ledger entry in one transaction; returns the new balance."""
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._tenants,
                            "Key": {"tenant_id": value(tenant_id)},
                            "UpdateExpression": "ADD balance :amount",
                            "ConditionExpression": "attribute_exists(tenant_id)",
                            "ExpressionAttributeValues": {":amount": value(amount)},
                        }
                    },
                    {"Put": self._ledger_put(tenant_id, entry_id, "topup", amount, now)},
                ]
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise NotFound(f"No tenant {tenant_id!r}.") from exc
            raise
        tenant = self.get_tenant(tenant_id)
        assert tenant is not None
        return tenant.balance

    def ledger(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of a tenant (top-ups positive, charges as positive spend)."""
        entries: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._ledger,
            "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": value(tenant_id)},
            "ConsistentRead": True,
        }
        while True:
            page = self._db.query(**kwargs)
            entries.extend(from_dynamo(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return entries
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
