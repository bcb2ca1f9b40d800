"""DynamoDB adapter for schedules: one item per schedule; the sparse ``due`` index for the tick."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import all_pages, conditional, from_dynamo, refusal_raises, to_dynamo, value
from chalicelib.domain.errors import Conflict
from chalicelib.domain.schedules import MAX_RUNS_KEPT, Run, Schedule

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DUE_INDEX = "due"
ACTIVE = "active"  # the `due` attribute of a schedule that is not paused (absent: out of the index)


def schedule_item(schedule: Schedule) -> dict[str, Any]:
    """The item of a schedule (its runs as JSON)."""
    fields = {k: v for k, v in asdict(schedule).items() if k not in ("runs", "options")}
    return to_dynamo({**fields, "options": json.dumps(schedule.options),
                      "runs": json.dumps([asdict(r) for r in schedule.runs]),
                      "due": None if schedule.paused else ACTIVE})


def schedule_from_item(raw: dict[str, Any]) -> Schedule:
    """A schedule from its item."""
    item = from_dynamo(raw)
    item.pop("due", None)
    runs = tuple(Run(**r) for r in json.loads(item.pop("runs", "[]")))
    return Schedule(**{**item, "options": json.loads(item.pop("options")), "runs": runs})


class ScheduleStore:
    """The Schedules port on one table keyed by tenant and schedule id."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, tenant_id: str, schedule_id: str) -> dict[str, Any]:
        return {"tenant_id": value(tenant_id), "schedule_id": value(schedule_id)}

    def put_new(self, schedule: Schedule) -> None:
        """Store a new schedule (never overwrites one: Conflict)."""
        with refusal_raises(Conflict(f"A schedule {schedule.schedule_id!r} exists already.")):
            self._db.put_item(TableName=self._table, Item=schedule_item(schedule),
                              ConditionExpression="attribute_not_exists(schedule_id)")

    def get(self, tenant_id: str, schedule_id: str) -> Schedule | None:
        """One of a tenant's schedules, read consistently, or None."""
        got = self._db.get_item(TableName=self._table, Key=self._key(tenant_id, schedule_id),
                                ConsistentRead=True)
        return schedule_from_item(got["Item"]) if "Item" in got else None

    def of_tenant(self, tenant_id: str) -> list[Schedule]:
        """Every schedule of a tenant, oldest first (ids sort by creation time)."""
        request = {"TableName": self._table, "ConsistentRead": True,
                   "KeyConditionExpression": "tenant_id = :t",
                   "ExpressionAttributeValues": {":t": value(tenant_id)}}
        return [schedule_from_item(item) for item in all_pages(self._db.query, request)]

    def replace(self, schedule: Schedule, seen_updated_at: str) -> bool:
        """Store a changed schedule if nobody changed it since ``seen_updated_at``."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table, Item=schedule_item(schedule), ConditionExpression="updated_at = :seen",
            ExpressionAttributeValues={":seen": value(seen_updated_at)})) is not None

    def delete(self, tenant_id: str, schedule_id: str) -> bool:
        """Forget a schedule; False if there was none."""
        return conditional(lambda: self._db.delete_item(
            TableName=self._table, Key=self._key(tenant_id, schedule_id),
            ConditionExpression="attribute_exists(schedule_id)")) is not None

    def due(self, now: int) -> list[Schedule]:
        """Active schedules due at or before ``now``, from the sparse index (then read whole)."""
        request = {"TableName": self._table, "IndexName": DUE_INDEX,
                   "KeyConditionExpression": "#due = :active AND next_run_at <= :now",
                   "ExpressionAttributeNames": {"#due": "due"},
                   "ExpressionAttributeValues": {":active": value(ACTIVE), ":now": value(now)}}
        found = [from_dynamo(i) for i in all_pages(self._db.query, request)]
        schedules = (self.get(i["tenant_id"], i["schedule_id"]) for i in found)
        return [s for s in schedules if s is not None and not s.paused and s.next_run_at <= now]

    def advance(self, tenant_id: str, schedule_id: str, due_at: int, next_run_at: int, run: Run) -> bool:
        """Record the run and the next due time, if the schedule is still due at ``due_at``."""
        held = self.get(tenant_id, schedule_id)
        if held is None or held.next_run_at != due_at:
            return False
        runs = json.dumps([asdict(r) for r in (run, *held.runs)[:MAX_RUNS_KEPT]])
        return conditional(lambda: self._db.update_item(
            TableName=self._table, Key=self._key(tenant_id, schedule_id),
            UpdateExpression="SET next_run_at = :next, runs = :runs",
            ConditionExpression="next_run_at = :due",
            ExpressionAttributeValues={":next": value(next_run_at), ":runs": value(runs),
                                       ":due": value(due_at)})) is not None
