"""DynamoDB adapter for webhook deliveries: one item per event and target, its attempts inside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import all_pages, conditional, from_dynamo, to_dynamo, value
from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BY_BATCH = "by-batch"  # local index: a tenant's deliveries by "{batch_id}#{created_at}#{delivery_id}"


def _item(delivery: Delivery, expires_at: int) -> dict[str, Any]:
    batch_at = (f"{delivery.batch_id}#{delivery.created_at}#{delivery.delivery_id}"
                if delivery.batch_id else None)
    return to_dynamo({
        "tenant_id": delivery.tenant_id, "delivery_id": delivery.delivery_id,
        "event_id": delivery.event_id, "event_type": delivery.event_type.value, "url": delivery.url,
        "payload": delivery.payload, "created_at": delivery.created_at,
        "first_attempt_at": delivery.first_attempt_at, "next_attempt_at": delivery.next_attempt_at,
        "status": delivery.status.value, "webhook_id": delivery.webhook_id,
        "batch_id": delivery.batch_id, "batch_at": batch_at,
        "attempts_made": delivery.attempts_made,
        "attempts": [_attempt_map(a) for a in delivery.attempts], "expires_at": expires_at,
    })


def _attempt_map(attempt: Attempt) -> dict[str, Any]:
    return {"attempt": attempt.attempt, "at": attempt.at, "duration_ms": attempt.duration_ms,
            "status_code": attempt.status_code, "error": attempt.error,
            "response": attempt.response, "trigger": attempt.trigger}


def _delivery(raw: dict[str, Any]) -> Delivery:
    item = from_dynamo(raw)
    return Delivery(
        tenant_id=item["tenant_id"], delivery_id=item["delivery_id"], event_id=item["event_id"],
        event_type=WebhookEvent(item["event_type"]), url=item["url"], payload=item["payload"],
        created_at=item["created_at"], first_attempt_at=item["first_attempt_at"],
        next_attempt_at=item["next_attempt_at"], status=DeliveryStatus(item["status"]),
        webhook_id=item.get("webhook_id"), batch_id=item.get("batch_id"),
        attempts_made=item.get("attempts_made", 0),
        attempts=tuple(Attempt(**a) for a in item.get("attempts", [])),
    )


class DeliveryStore:
    """The Deliveries port on one table keyed by tenant and delivery id."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, tenant_id: str, delivery_id: str) -> dict[str, Any]:
        return {"tenant_id": value(tenant_id), "delivery_id": value(delivery_id)}

    def put_new(self, delivery: Delivery, expires_at: int) -> bool:
        """Store a new delivery; False if it exists already."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table, Item=_item(delivery, expires_at),
            ConditionExpression="attribute_not_exists(delivery_id)")) is not None

    def get(self, tenant_id: str, delivery_id: str) -> Delivery | None:
        """One of a tenant's deliveries, read consistently, or None."""
        got = self._db.get_item(TableName=self._table, Key=self._key(tenant_id, delivery_id),
                                ConsistentRead=True)
        return _delivery(got["Item"]) if "Item" in got else None

    def for_batch(self, tenant_id: str, batch_id: str) -> list[Delivery]:
        """Every delivery of a batch's events, oldest first."""
        request = {
            "TableName": self._table, "IndexName": BY_BATCH, "ConsistentRead": True,
            "KeyConditionExpression": "tenant_id = :t AND begins_with(batch_at, :b)",
            "ExpressionAttributeValues": {":t": value(tenant_id), ":b": value(f"{batch_id}#")},
        }
        return [_delivery(item) for item in all_pages(self._db.query, request)]

    def claim(self, tenant_id: str, delivery_id: str, attempt: int, lease_until: int, now: int) -> bool:
        """Take the right to make attempt ``attempt`` until ``lease_until``; False if not free."""
        return conditional(lambda: self._db.update_item(
            TableName=self._table, Key=self._key(tenant_id, delivery_id),
            UpdateExpression="SET lease_until = :lease, lease_attempt = :n",
            ConditionExpression="#status = :pending AND attempts_made = :made AND "
            "(attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":lease": value(lease_until), ":n": value(attempt), ":made": value(attempt - 1),
                ":pending": value(DeliveryStatus.PENDING.value), ":now": value(now)})) is not None

    def record(self, tenant_id: str, delivery_id: str, attempt: Attempt, status: DeliveryStatus,
               next_attempt_at: int) -> bool:
        """Log the claimed attempt and the delivery's new state; False if the claim was lost."""
        return conditional(lambda: self._db.update_item(
            TableName=self._table, Key=self._key(tenant_id, delivery_id),
            UpdateExpression="SET attempts_made = :n, #status = :status, next_attempt_at = :next, "
            "attempts = list_append(attempts, :attempt) REMOVE lease_until, lease_attempt",
            ConditionExpression="lease_attempt = :n AND attempts_made = :made",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":n": value(attempt.attempt), ":made": value(attempt.attempt - 1),
                ":status": value(status.value), ":next": value(next_attempt_at),
                ":attempt": value([_attempt_map(attempt)])})) is not None

    def reopen(self, tenant_id: str, delivery_id: str, now: int) -> Delivery | None:
        """Make a delivery pending again from ``now``; None if an attempt is in flight."""
        got = conditional(lambda: self._db.update_item(
            TableName=self._table, Key=self._key(tenant_id, delivery_id),
            UpdateExpression="SET #status = :pending, first_attempt_at = :now, next_attempt_at = :now",
            ConditionExpression="attribute_exists(delivery_id) AND "
            "(attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":pending": value(DeliveryStatus.PENDING.value),
                                       ":now": value(now)},
            ReturnValues="ALL_NEW"))
        return None if got is None else _delivery(got["Attributes"])
