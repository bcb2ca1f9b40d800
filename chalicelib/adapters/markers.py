"""DynamoDB adapter for markers: idempotency keys, upload claims, rate counters, failure notes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import conditional, from_dynamo, to_dynamo, value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient



class MarkerStore:
    """Items that say some work was claimed, done, or answered once."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, marker: str, attributes: dict[str, Any], expires_at: int) -> None:
        """Write a marker, replacing any (a note whose latest version is the one that counts)."""
        self._db.put_item(TableName=self._table,
                          Item=to_dynamo({"marker": marker, **attributes, "expires_at": expires_at}))

    def put_once(self, marker: str, attributes: dict[str, Any], expires_at: int, now: int) -> bool:
        """Write a marker unless a live one exists (an expired one is replaced); True if written."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table,
            Item=to_dynamo({"marker": marker, **attributes, "expires_at": expires_at}),
            ConditionExpression="attribute_not_exists(marker) OR expires_at < :now",
            ExpressionAttributeValues={":now": value(now)},
        )) is not None

    def count_up_to(self, marker: str, limit: int, expires_at: int) -> bool:
        """Add one to a counter unless it reached ``limit``; False when it had."""
        return conditional(lambda: self._db.update_item(
            TableName=self._table, Key={"marker": value(marker)},
            UpdateExpression="ADD hits :one SET expires_at = :expires",
            ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
            ExpressionAttributeValues={":one": value(1), ":limit": value(limit),
                                       ":expires": value(expires_at)},
        )) is not None

    def add(self, marker: str, amount: int, expires_at: int) -> None:
        """Add ``amount`` to a counter (created at 0)."""
        self._db.update_item(TableName=self._table, Key={"marker": value(marker)},
                             UpdateExpression="ADD hits :n SET expires_at = :expires",
                             ExpressionAttributeValues={":n": value(amount), ":expires": value(expires_at)})

    def get(self, marker: str) -> dict[str, Any] | None:
        """A marker's attributes, read consistently, or None."""
        got = self._db.get_item(TableName=self._table, Key={"marker": value(marker)},
                                ConsistentRead=True)
        return from_dynamo(got["Item"]) if "Item" in got else None

    def delete(self, marker: str) -> None:
        """Forget a marker."""
        self._db.delete_item(TableName=self._table, Key={"marker": value(marker)})
