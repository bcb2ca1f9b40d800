"""The settle transaction: chunk part done + credit decrement + batch counters + ledger, or nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.batch_items import batch_from_item
from chalicelib.adapters.dynamo import error_code, from_dynamo, value
from chalicelib.adapters.ledger import entry_put
from chalicelib.domain.billing import PauseReason, pause_message, pause_status
from chalicelib.domain.errors import AlreadySettled, BalanceChanged, BatchChanged, SettleConflict
from chalicelib.domain.models import (
    ACTIVE_STATUSES,
    PAUSED_STATUSES,
)
from chalicelib.domain.parts import PartShape
from chalicelib.ports.ledger import charge_entry
from chalicelib.ports.settlements import SettleRequest, check_together

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

class SettlementStore:
    """The Settlements port on DynamoDB: one TransactWriteItems touching at most four items."""

    def __init__(self, client: DynamoDBClient, tenants: str, batches: str, chunks: str,
                 ledger: str) -> None:
        self._db = client
        self._tenants = tenants
        self._batches = batches
        self._chunks = chunks
        self._ledger = ledger

    def settle(self, req: SettleRequest) -> None:
        """Write the settlement or raise AlreadySettled, BalanceChanged, BatchChanged, SettleConflict."""
        items = [self._chunk_update(req), self._batch_update([req])]
        if req.settlement.cost:
            items += [self._tenant_update([req]), self._ledger_put(req)]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            _raise_reason(list(exc.response.get("CancellationReasons", [])))  # type: ignore[arg-type]
            raise SettleConflict(str(exc)) from exc

    def settle_together(self, reqs: list[SettleRequest]) -> None:
        """Write several whole settlements of one batch in one transaction, or raise
        SettleConflict and write nothing: each part's chunk item and ledger line, one batch
        update with the summed counters (its cap condition on the summed cost), one balance
        update of the summed cost (``balance >= total``)."""
        check_together(reqs)
        items = [self._chunk_update(req) for req in reqs] + [self._batch_update(reqs)]
        if any(req.settlement.cost for req in reqs):
            items.append(self._tenant_update(reqs))
            items += [self._ledger_put(req) for req in reqs if req.settlement.cost]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise SettleConflict(str(exc)) from exc

    def _chunk_update(self, req: SettleRequest) -> Any:
        record: dict[str, object] = {"key": req.record.key, "start": req.record.start,
                                     "settled": req.record.settled}
        if req.record.span is not None:
            record["span"] = list(req.record.span)
        if req.part == 0:  # the chunk's first settlement creates its item (cheaper than an update)
            return {"Put": {
                "TableName": self._chunks,
                "Item": {"batch_id": value(req.batch.batch_id), "chunk": value(req.chunk),
                         "next_part": value(1), "done": value(req.settlement.done),
                         "parts": value([record]), "updated_at": value(req.now)},
                "ConditionExpression": "attribute_not_exists(batch_id)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }}
        return {"Update": {
            "TableName": self._chunks,
            "Key": {"batch_id": value(req.batch.batch_id), "chunk": value(req.chunk)},
            # A reprocess part that settles is no longer waiting (``reprocess_key``, reopen_chunk).
            "UpdateExpression": "SET next_part = :next, done = :done, "
            "parts = list_append(parts, :record), updated_at = :now REMOVE reprocess_key",
            "ConditionExpression": "next_part = :part",
            "ExpressionAttributeValues": {
                ":part": value(req.part), ":next": value(req.part + 1), ":done": value(req.settlement.done),
                ":record": value([record]), ":now": value(req.now),
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }}

    def _batch_update(self, reqs: list[SettleRequest]) -> Any:
        """The batch's update for its settlements (one, or several settled together: their
        counters summed; the status, the pause and the failure are the last one's)."""
        req = reqs[-1]
        s, batch = req.settlement, req.batch
        cost = sum(one.settlement.cost for one in reqs)
        values: dict[str, Any] = {":now": value(req.now)}
        names = {"#status": "status"}
        adds = []
        for index, (attribute, count) in enumerate(_counters(reqs).items()):
            if count:  # adding zero changes nothing: a shorter expression is cheaper to apply
                names[f"#c{index}"] = attribute
                values[f":c{index}"] = value(count)
                adds.append(f"#c{index} :c{index}")
        shapes = [one.shape for one in reqs if one.shape is not None]
        if shapes:  # set ADDs: a retried write adds nothing new
            adds += _shape_adds(shapes, names, values)
        sets = ["updated_at = :now"]
        if req.failure:  # the first reason a part was given up is the one the batch ends with
            sets.append("failure = if_not_exists(failure, :failure)")
            values[":failure"] = value(req.failure)
        pause_to = pause_status(s.pause)
        if pause_to:
            sets += ["#status = :pause", "message = :message"]
            values[":pause"] = value(pause_to.value)
            values[":message"] = value(pause_message(pause_to))
            if req.announce:  # the event of the pause, marked in the write that pauses
                sets.append("announce = :announce")
                values[":announce"] = value(req.announce)
        allowed = PAUSED_STATUSES if s.pause is PauseReason.PAUSED else ACTIVE_STATUSES
        values.update({f":s{i}": value(status.value) for i, status in enumerate(allowed)})
        condition = f"#status IN ({', '.join(f':s{i}' for i in range(len(allowed)))})"
        if batch.max_credits is None:
            condition += " AND attribute_not_exists(max_credits)"
        else:
            condition += " AND max_credits = :cap AND credits_spent <= :limit"
            values[":cap"] = value(batch.max_credits)
            values[":limit"] = value(batch.max_credits - cost)
        return {"Update": {
            "TableName": self._batches,
            "Key": {"tenant_id": value(batch.tenant_id), "batch_id": value(batch.batch_id)},
            "UpdateExpression": "SET " + ", ".join(sets) + (" ADD " + ", ".join(adds) if adds else ""),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }}

    def _tenant_update(self, reqs: list[SettleRequest]) -> Any:
        req = reqs[-1]
        total = sum(one.settlement.cost for one in reqs)
        cost = value(total)
        update: dict[str, Any] = {
            "TableName": self._tenants,
            "Key": {"tenant_id": value(req.batch.tenant_id)},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if req.prepaid:
            update["UpdateExpression"] = "ADD credits_used :cost, balance :minus"
            update["ConditionExpression"] = "balance >= :cost"
            update["ExpressionAttributeValues"] = {":cost": cost, ":minus": value(-total)}
        else:  # postpaid: usage is recorded, the balance is never a limit
            update["UpdateExpression"] = "ADD credits_used :cost"
            update["ConditionExpression"] = "attribute_exists(tenant_id)"
            update["ExpressionAttributeValues"] = {":cost": cost}
        return {"Update": update}

    def _ledger_put(self, req: SettleRequest) -> Any:
        batch = req.batch
        return {"Put": entry_put(self._ledger, charge_entry(
            batch.tenant_id, batch.batch_id, req.chunk, req.part, req.settlement.cost,
            req.settlement.completed, req.now))}


def _counters(reqs: list[SettleRequest]) -> dict[str, int]:
    """The batch's counters the settlements add, summed (attribute -> amount)."""
    counters: dict[str, int] = {}
    for req in reqs:
        s, before = req.settlement, req.before
        mine = {"n_completed": s.completed, "n_not_found": s.not_found, "n_failed": s.failed,
                "n_skipped": s.skipped - before.skipped, "n_parked": s.parked - before.parked,
                "parked_cost": s.parked_cost - before.parked_cost,
                "credits_spent": s.cost, "chunks_done": 1 if s.done else 0}
        mine.update({f"f_{source}": count for source, count in sorted(s.found.items())})
        mine.update({f"l_{how}": count for how, count in sorted(s.lookups.items())})
        for attribute, count in mine.items():
            counters[attribute] = counters.get(attribute, 0) + count
    return counters


def _shape_adds(shapes: list[PartShape], names: dict[str, str], values: dict[str, Any]) -> list[str]:
    """The batch update's ADDs that record parts' shapes (``Batch.shaped_parts`` and the rest)."""
    values[":shaped"] = value(len(shapes))
    values[":widths"] = value({shape.width for shape in shapes})
    adds = ["shaped_parts :shaped", "shape_widths :widths"]
    columns = {column for shape in shapes for column in shape.columns}
    if columns:  # a set may not be empty
        values[":columns"] = value(columns)
        adds.append("shape_columns :columns")
    return adds


def _raise_reason(reasons: list[dict[str, Any]]) -> None:
    """Turn the first meaningful cancellation reason into a domain outcome."""
    codes = [r.get("Code", "None") for r in reasons]
    if len(codes) > 0 and codes[0] == "ConditionalCheckFailed":
        raise AlreadySettled()
    if len(codes) > 1 and codes[1] == "ConditionalCheckFailed" and "Item" in reasons[1]:
        raise BatchChanged(batch_from_item(reasons[1]["Item"]))
    if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
        old = from_dynamo(reasons[2].get("Item", {}))
        raise BalanceChanged(int(old.get("balance", 0)))
    if len(codes) > 3 and codes[3] == "ConditionalCheckFailed":
        raise AlreadySettled()  # the ledger line exists: this part was charged already
