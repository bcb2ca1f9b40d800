"""DynamoDB adapter for tenants, their hashed API keys and their credit ledger."""

from __future__ import annotations

import heapq
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import Item, all_pages, error_code, from_dynamo, to_dynamo, value
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import BillingKind, Tenant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Local secondary index of the ledger on (tenant_id, at), at = "{created_at}#{entry_id}": entries in
# time order. Until the table declares it, reads fall back to the whole partition sorted in memory.
TIME_INDEX = "by-time"


def key_id_for(key_hash: str) -> str:
    """The public id of an API key: short, derived from its hash, safe to list."""
    return f"key_{key_hash[:8]}"


def ledger_position(item: Item) -> str:
    """Where a ledger entry sorts in time: its ``at``, ``{created_at}#{entry_id}``."""
    return str(item.get("at") or f"{item['created_at']}#{item['entry_id']}")


def _keys_record(tenant_id: str) -> Any:
    # The api-keys item that lists a tenant's keys; '#' never occurs in a SHA-256 hex digest.
    return {"key_hash": value(f"tenant#{tenant_id}")}


class AccountStore:
    """Tenants (balance, billing kind), API keys by hash, and ledger entries."""

    def __init__(self, client: DynamoDBClient, tenants: str, api_keys: str, ledger: str,
                 column_maps: str) -> None:
        self._db = client
        self._tenants = tenants
        self._keys = api_keys
        self._ledger = ledger
        self._column_maps = column_maps
        self._time_index: bool | None = None  # whether the ledger has TIME_INDEX; None: not asked yet

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
                "created_at": now, "at": f"{now}#{entry_id}", **extra}
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
                            "UpdateExpression": "ADD balance :amount, topped_up :amount",
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
        return self._query_all({
            "TableName": self._ledger, "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": value(tenant_id)}, "ConsistentRead": True,
        })

    def credit_totals(self, tenant_id: str) -> Item | None:
        """A tenant's ``balance``, ``billing`` and lifetime ``credits_used`` / ``topped_up``, or None."""
        got = self._db.get_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)}, ConsistentRead=True,
            ProjectionExpression="#b, #k, #u, #t",
            ExpressionAttributeNames={"#b": "balance", "#k": "billing", "#u": "credits_used",
                                      "#t": "topped_up"},
        )
        return from_dynamo(got["Item"]) if "Item" in got else None

    def spent_in_month(self, tenant_id: str, month: str) -> int:
        """Credits charged to a tenant in one UTC calendar month (``YYYY-MM``)."""
        names = {"#kind": "kind", "#credits": "credits"}
        values = {":t": value(tenant_id), ":charge": value("charge"), ":month": value(month)}
        query: dict[str, Any] = {"ProjectionExpression": "#credits", "ExpressionAttributeValues": values,
                                 "ConsistentRead": True}
        items = self._by_time({
            **query, "KeyConditionExpression": "tenant_id = :t AND begins_with(#at, :month)",
            "FilterExpression": "#kind = :charge", "ExpressionAttributeNames": {**names, "#at": "at"}})
        if items is None:  # no index: the whole partition is read, the filter only trims the answer
            items = self._query_all({
                **query, "TableName": self._ledger, "KeyConditionExpression": "tenant_id = :t",
                "FilterExpression": "#kind = :charge AND begins_with(created_at, :month)",
                "ExpressionAttributeNames": names})
        return -sum(int(item["credits"]) for item in items)

    def ledger_newest_first(self, tenant_id: str, count: int, before: str | None = None,
                            kind: str | None = None, batch_id: str | None = None) -> list[Item]:
        """Up to ``count`` entries sorting before position ``before``, newest first, filtered."""
        if batch_id is not None:  # one batch's charges share a key prefix: a Query bounded to them
            items = self._query_all({
                "TableName": self._ledger, "ConsistentRead": True,
                "KeyConditionExpression": "tenant_id = :t AND begins_with(entry_id, :prefix)",
                "ExpressionAttributeValues": {":t": value(tenant_id),
                                              ":prefix": value(f"charge#{batch_id}#")}})
        else:  # without the index: the whole partition, sorted here
            by_time = self._page_by_time(tenant_id, count, before, kind)
            items = self.ledger(tenant_id) if by_time is None else by_time
        return heapq.nlargest(count, (
            item for item in items
            if (kind is None or item["kind"] == kind)
            and (before is None or ledger_position(item) < before)
        ), key=ledger_position)

    def _page_by_time(self, tenant_id: str, count: int, before: str | None,
                      kind: str | None) -> list[Item] | None:
        query: dict[str, Any] = {"KeyConditionExpression": "tenant_id = :t", "ScanIndexForward": False,
                                 "Limit": count, "ConsistentRead": True}
        names: dict[str, str] = {}
        values = {":t": value(tenant_id)}
        if before is not None:
            query["KeyConditionExpression"] += " AND #at < :before"
            names["#at"], values[":before"] = "at", value(before)
        if kind is not None:
            query["FilterExpression"] = "#kind = :kind"
            names["#kind"], values[":kind"] = "kind", value(kind)
        if names:
            query["ExpressionAttributeNames"] = names
        return self._by_time({**query, "ExpressionAttributeValues": values}, enough=count)

    def _by_time(self, query: dict[str, Any], enough: int | None = None) -> list[Item] | None:
        """Query the ledger's time index; None when the table does not have it."""
        if self._time_index is False:
            return None
        try:
            items = self._query_all({**query, "TableName": self._ledger, "IndexName": TIME_INDEX}, enough)
        except ClientError as exc:
            # AWS answers ValidationException, moto ResourceNotFoundException; both name the index
            if TIME_INDEX not in str(exc.response.get("Error", {}).get("Message", "")):
                raise
            self._time_index = False
            return None
        self._time_index = True
        return items

    def _query_all(self, query: dict[str, Any], enough: int | None = None) -> list[Item]:
        """Every item a Query matches, page after page (or as soon as ``enough`` are in)."""
        items: list[Item] = []
        for item in all_pages(self._db.query, query):
            items.append(from_dynamo(item))
            if enough is not None and len(items) >= enough:
                break
        return items

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
        try:
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
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("This tenant already has a key with that key_id.") from exc
            raise
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
        try:
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
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":  # another key change raced this one
                raise Conflict("The tenant's keys changed while revoking; try again.") from exc
            raise
