"""Reading a tenant's credit ledger: everything, newest first by page, one month's spend."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo import Item, all_pages, from_dynamo, to_dynamo, value
from chalicelib.ports.ledger import LedgerEntry, charge_prefix, ledger_position

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Local secondary index of the ledger on (tenant_id, at), at = "{created_at}#{entry_id}": entries in
# time order. Until the table declares it, reads fall back to the whole partition sorted in memory.
TIME_INDEX = "by-time"


def entry_put(table: str, entry: LedgerEntry) -> Any:
    """The transaction Put of one ledger entry (``ports.ledger`` builds it): written once."""
    return {"TableName": table, "Item": to_dynamo(entry),
            "ConditionExpression": "attribute_not_exists(entry_id)"}


class LedgerReader:
    """The Ledger port on DynamoDB (writes happen in the transactions that move credits)."""

    def __init__(self, client: DynamoDBClient, ledger: str) -> None:
        self._db = client
        self._ledger = ledger
        self._time_index: bool | None = None  # whether the ledger has TIME_INDEX; None: not asked yet

    @property
    def has_time_index(self) -> bool | None:
        """Whether the ledger table has the time index (None until a read asked)."""
        return self._time_index

    def entries(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of a tenant (top-ups positive, charges as positive spend)."""
        return self._query_all({
            "TableName": self._ledger, "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": value(tenant_id)}, "ConsistentRead": True,
        })

    def charges(self, tenant_id: str, batch_id: str) -> list[dict[str, Any]]:
        """Every charge of one batch: their ids start with the batch's (one Query, no filter)."""
        return self._query_all({
            "TableName": self._ledger,
            "KeyConditionExpression": "tenant_id = :t AND begins_with(entry_id, :p)",
            "ExpressionAttributeValues": {":t": value(tenant_id), ":p": value(charge_prefix(batch_id))},
            "ConsistentRead": True,
        })

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

    def newest_first(self, tenant_id: str, count: int, before: str | None = None,
                            kind: str | None = None, batch_id: str | None = None) -> list[Item]:
        """Up to ``count`` entries sorting before position ``before``, newest first, filtered."""
        if batch_id is not None:  # one batch's charges share a key prefix: a Query bounded to them
            items = self._query_all({
                "TableName": self._ledger, "ConsistentRead": True,
                "KeyConditionExpression": "tenant_id = :t AND begins_with(entry_id, :prefix)",
                "ExpressionAttributeValues": {":t": value(tenant_id),
                                              ":prefix": value(charge_prefix(batch_id))}})
        else:  # without the index: the whole partition, sorted here
            by_time = self._page_by_time(tenant_id, count, before, kind)
            items = self.entries(tenant_id) if by_time is None else by_time
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
