"""DynamoDB adapter for shared rate limits: one item per tenant source, slots handed out in leases.

The item's ``tat`` is the time (epoch microseconds) of the next free slot of the source's
schedule. Taking ``count`` slots moves it ``count`` intervals on, in one conditional
UpdateItem: from where it stands when the schedule is busy (``tat >= now``), from now when it
is idle. Nothing is read first, so any number of workers and sandboxes take disjoint slots.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.adapters.dynamo import conditional, value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_KEEP_SECONDS = 86400  # an idle source's item is removed by DynamoDB's TTL after a day
_ATTEMPTS = 8


def _micros(seconds: float) -> int:
    return round(seconds * 1_000_000)


class RateLimitStore:
    """The shared schedules of the vendors' rate limits."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def take(self, key: str, count: int, interval: float, now: float) -> float:
        """Reserve ``count`` consecutive slots ``interval`` seconds apart; the first one's time."""
        span, at = _micros(count * interval), _micros(now)
        expires = value(int(now) + _KEEP_SECONDS)
        for _ in range(_ATTEMPTS):
            busy = conditional(lambda: self._db.update_item(  # the schedule runs ahead: append
                TableName=self._table, Key={"bucket": value(key)},
                UpdateExpression="SET tat = tat + :span, expires_at = :expires",
                ConditionExpression="tat >= :now",
                ExpressionAttributeValues={":span": value(span), ":now": value(at), ":expires": expires},
                ReturnValues="UPDATED_NEW"))
            if busy is not None:
                return (int(busy["Attributes"]["tat"]["N"]) - span) / 1_000_000
            idle = conditional(lambda: self._db.update_item(  # idle (or new): it starts now
                TableName=self._table, Key={"bucket": value(key)},
                UpdateExpression="SET tat = :end, expires_at = :expires",
                ConditionExpression="attribute_not_exists(tat) OR tat < :now",
                ExpressionAttributeValues={":end": value(at + span), ":now": value(at),
                                           ":expires": expires}))
            if idle is not None:
                return now
        raise RuntimeError(f"rate limit {key!r}: the schedule kept moving under {_ATTEMPTS} tries")

    def hold(self, key: str, until: float) -> None:
        """No slot before ``until`` (a vendor's Retry-After): moves the schedule on, never back."""
        conditional(lambda: self._db.update_item(
            TableName=self._table, Key={"bucket": value(key)},
            UpdateExpression="SET tat = :until, expires_at = :expires",
            ConditionExpression="attribute_not_exists(tat) OR tat < :until",
            ExpressionAttributeValues={":until": value(_micros(until)),
                                       ":expires": value(int(until) + _KEEP_SECONDS)}))
