"""DynamoDB adapter for batch timelines: one item per step, the batch's steps in one Query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import all_pages, from_dynamo, to_dynamo, value
from chalicelib.ports.timeline import TimelineEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class TimelineStore:
    """The Timeline port on the ``timeline`` table (``batch_id``, ``event_id``)."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def add(self, event: TimelineEvent) -> None:
        """Keep one step (an event with the same ``event_id`` is replaced)."""
        self._db.put_item(TableName=self._table, Item=to_dynamo(event))

    def events(self, batch_id: str) -> list[TimelineEvent]:
        """Every step of a batch, oldest first."""
        query: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "batch_id = :b",
                                 "ExpressionAttributeValues": {":b": value(batch_id)},
                                 "ConsistentRead": True}
        return [from_dynamo(item) for item in all_pages(self._db.query, query)]
