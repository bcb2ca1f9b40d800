"""DynamoDB adapter for one-time markers: split claims with a lease, idempotency keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import conditional, from_dynamo, to_dynamo, value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_KEEP_SECONDS = 30 * 86400  # DynamoDB's TTL removes markers after this


class MarkerStore:
    """Items that say some work was claimed, done, or answered once."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def claim(self, marker: str, lease_until: int, now: int) -> bool:
        """Claim a one-time marker (or take over one whose holder's lease ran out)."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table,
            Item=to_dynamo({"marker": marker, "state": "claimed", "lease_until": lease_until,
                            "expires_at": now + _KEEP_SECONDS}),
            ConditionExpression="attribute_not_exists(marker) OR "
            "(#state = :claimed AND lease_until < :now)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":claimed": value("claimed"), ":now": value(now)},
        )) is not None

    def complete(self, marker: str) -> None:
        """Mark a claimed marker's work finished for good."""
        self._db.update_item(
            TableName=self._table, Key={"marker": value(marker)},
            UpdateExpression="SET #state = :done", ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":done": value("done")},
        )

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

    def get(self, marker: str) -> dict[str, Any] | None:
        """A marker's attributes, read consistently, or None."""
        got = self._db.get_item(TableName=self._table, Key={"marker": value(marker)},
                                ConsistentRead=True)
        return from_dynamo(got["Item"]) if "Item" in got else None

    def delete(self, marker: str) -> None:
        """Forget a marker."""
        self._db.delete_item(TableName=self._table, Key={"marker": value(marker)})
