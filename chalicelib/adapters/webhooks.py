"""DynamoDB adapter for webhook endpoints and each tenant's default signing secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import all_pages, conditional, from_dynamo, refusal_raises, to_dynamo, value
from chalicelib.domain.errors import Conflict
from chalicelib.domain.webhooks import Endpoint, TenantSecret, WebhookEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ENDPOINT_PREFIX = "we_"  # endpoint ids; the default secret's item sorts apart under DEFAULT
_DEFAULT = "#default-secret"


def _endpoint_item(endpoint: Endpoint) -> dict[str, Any]:
    return to_dynamo({
        "tenant_id": endpoint.tenant_id, "webhook_id": endpoint.webhook_id, "url": endpoint.url,
        "events": [e.value for e in endpoint.events], "secret": endpoint.secret,
        "created_at": endpoint.created_at, "updated_at": endpoint.updated_at,
        "description": endpoint.description, "previous_secret": endpoint.previous_secret,
        "previous_until": endpoint.previous_until,
    })


def _endpoint(raw: dict[str, Any]) -> Endpoint:
    item = from_dynamo(raw)
    return Endpoint(
        tenant_id=item["tenant_id"], webhook_id=item["webhook_id"], url=item["url"],
        events=tuple(WebhookEvent(e) for e in item["events"]), secret=item["secret"],
        created_at=item["created_at"], updated_at=item["updated_at"],
        description=item.get("description", ""), previous_secret=item.get("previous_secret"),
        previous_until=item.get("previous_until"),
    )


class WebhookStore:
    """The Webhooks port on one table keyed by tenant and endpoint id."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, tenant_id: str, webhook_id: str) -> dict[str, Any]:
        return {"tenant_id": value(tenant_id), "webhook_id": value(webhook_id)}

    def put_new(self, endpoint: Endpoint) -> None:
        """Store a new endpoint (never overwrites one: Conflict)."""
        with refusal_raises(Conflict(f"An endpoint {endpoint.webhook_id!r} exists already.")):
            self._db.put_item(TableName=self._table, Item=_endpoint_item(endpoint),
                              ConditionExpression="attribute_not_exists(webhook_id)")

    def get(self, tenant_id: str, webhook_id: str) -> Endpoint | None:
        """One of a tenant's endpoints, read consistently, or None."""
        if not webhook_id.startswith(ENDPOINT_PREFIX):
            return None
        got = self._db.get_item(TableName=self._table, Key=self._key(tenant_id, webhook_id),
                                ConsistentRead=True)
        return _endpoint(got["Item"]) if "Item" in got else None

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        """Every endpoint of a tenant, oldest first (ids sort by creation time)."""
        request = {
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "tenant_id = :t AND begins_with(webhook_id, :p)",
            "ExpressionAttributeValues": {":t": value(tenant_id), ":p": value(ENDPOINT_PREFIX)},
        }
        return [_endpoint(item) for item in all_pages(self._db.query, request)]

    def replace(self, endpoint: Endpoint, seen_updated_at: str) -> bool:
        """Store a changed endpoint if nobody changed it since ``seen_updated_at``."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table, Item=_endpoint_item(endpoint),
            ConditionExpression="updated_at = :seen",
            ExpressionAttributeValues={":seen": value(seen_updated_at)})) is not None

    def delete(self, tenant_id: str, webhook_id: str) -> bool:
        """Forget an endpoint; False if there was none."""
        if not webhook_id.startswith(ENDPOINT_PREFIX):
            return False
        return conditional(lambda: self._db.delete_item(
            TableName=self._table, Key=self._key(tenant_id, webhook_id),
            ConditionExpression="attribute_exists(webhook_id)")) is not None

    def tenant_secret(self, tenant_id: str) -> TenantSecret | None:
        """The tenant's default signing secret, or None."""
        got = self._db.get_item(TableName=self._table, Key=self._key(tenant_id, _DEFAULT),
                                ConsistentRead=True)
        if "Item" not in got:
            return None
        item = from_dynamo(got["Item"])
        return TenantSecret(tenant_id, item["secret"], item["created_at"],
                            item.get("previous_secret"), item.get("previous_until"))

    def put_tenant_secret(self, secret: TenantSecret, seen_created_at: str | None) -> bool:
        """Store the tenant's default secret unless another rotation changed it first."""
        item = to_dynamo({"tenant_id": secret.tenant_id, "webhook_id": _DEFAULT, "secret": secret.secret,
                          "created_at": secret.created_at, "previous_secret": secret.previous_secret,
                          "previous_until": secret.previous_until})
        if seen_created_at is None:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(webhook_id)"}
        else:
            condition = {"ConditionExpression": "created_at = :seen",
                         "ExpressionAttributeValues": {":seen": value(seen_created_at)}}
        return conditional(lambda: self._db.put_item(TableName=self._table, Item=item,
                                                     **condition)) is not None
