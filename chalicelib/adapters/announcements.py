"""DynamoDB adapter for the outbox marks on batch and tenant items (``announce``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import all_pages, conditional, from_dynamo, value
from chalicelib.domain.models import BillingKind
from chalicelib.domain.webhooks import Announcement

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MARK = "announce"  # the attribute, and the hash key of each table's sparse index ANNOUNCING
ANNOUNCING = "announcing"


class AnnouncementStore:
    """The Announcements port on the batches and tenants tables and their sparse indexes."""

    def __init__(self, client: DynamoDBClient, batches: str, tenants: str) -> None:
        self._db = client
        self._batches = batches
        self._tenants = tenants

    def pending(self) -> list[Announcement]:
        """Every mark still present: a scan of the two sparse indexes, which hold only marked items."""
        found = []
        for table in (self._batches, self._tenants):
            request = {"TableName": table, "IndexName": ANNOUNCING}
            for raw in all_pages(self._db.scan, request):
                item = from_dynamo(raw)
                found.append(Announcement(item["tenant_id"], item.get("batch_id"), item[MARK]))
        return found

    def tenant_mark(self, tenant_id: str) -> str | None:
        """The mark on a tenant item, if any."""
        got = self._db.get_item(TableName=self._tenants, Key={"tenant_id": value(tenant_id)},
                                ProjectionExpression=MARK, ConsistentRead=True)
        return from_dynamo(got.get("Item", {})).get(MARK)

    def mark_credits_low(self, tenant_id: str, threshold: int, mark: str) -> bool:
        """Mark a prepaid tenant's balance low once per fall below ``threshold``."""
        return conditional(lambda: self._db.update_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)},
            UpdateExpression=f"SET low_balance_at = :mark, {MARK} = :mark",
            ConditionExpression="billing = :prepaid AND balance < :threshold AND "
            "attribute_not_exists(low_balance_at)",
            ExpressionAttributeValues={":mark": value(mark), ":threshold": value(threshold),
                                       ":prepaid": value(BillingKind.PREPAID.value)})) is not None

    def rearm_credits_low(self, tenant_id: str, threshold: int) -> None:
        """Forget that the balance was low once it is back at ``threshold`` or more."""
        conditional(lambda: self._db.update_item(
            TableName=self._tenants, Key={"tenant_id": value(tenant_id)},
            UpdateExpression="REMOVE low_balance_at",
            ConditionExpression="attribute_exists(low_balance_at) AND balance >= :threshold",
            ExpressionAttributeValues={":threshold": value(threshold)}))

    def done(self, announcement: Announcement) -> None:
        """Remove a mark once its event is fanned out (a newer mark on the item stays)."""
        key: dict[str, Any] = {"tenant_id": value(announcement.tenant_id)}
        if announcement.batch_id is not None:
            key["batch_id"] = value(announcement.batch_id)
        conditional(lambda: self._db.update_item(
            TableName=self._batches if announcement.batch_id is not None else self._tenants,
            Key=key, UpdateExpression=f"REMOVE {MARK}", ConditionExpression=f"{MARK} = :mark",
            ExpressionAttributeValues={":mark": value(announcement.mark)}))
