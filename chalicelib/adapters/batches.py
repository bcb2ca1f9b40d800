"""DynamoDB adapter for batches and their chunks' settlement records."""

from __future__ import annotations

import re
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.accounts import tenant_from_item
from chalicelib.adapters.batch_items import (
    ATTENTION_OPEN,
    batch_from_item,
    batch_to_item,
    chunk_from_item,
    stored,
)
from chalicelib.adapters.batch_recovery import BatchRecovery
from chalicelib.adapters.dynamo import all_pages, batch_get, conditional, refusal_raises, value
from chalicelib.domain.cursors import decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict
from chalicelib.domain.models import (
    Batch,
    BatchStatus,
    ChunkState,
    RowStatus,
    Tenant,
)
from chalicelib.domain.options import BatchPatch

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_ID = re.compile(r"b_[0-9a-f]{22}")  # what a cursor of this listing holds


class BatchStore(BatchRecovery):
    """Batches by tenant (newest first) and chunk settlement records by batch."""

    def __init__(self, client: DynamoDBClient, batches: str, chunks: str, tenants: str) -> None:
        self._db = client
        self._batches = batches
        self._chunks = chunks
        self._tenants = tenants  # read with a batch: get_with_tenant

    @staticmethod
    def _key(tenant_id: str, batch_id: str) -> dict[str, Any]:
        return {"tenant_id": value(tenant_id), "batch_id": value(batch_id)}

    def put_new(self, batch: Batch) -> None:
        """Store a new batch (never overwrites one: Conflict)."""
        with refusal_raises(Conflict(f"A batch {batch.batch_id!r} exists already.")):
            self._db.put_item(TableName=self._batches, Item=batch_to_item(batch),
                              ConditionExpression="attribute_not_exists(batch_id)")

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """One tenant's batch, read consistently, or None (also for another tenant's id)."""
        got = self._db.get_item(
            TableName=self._batches, Key=self._key(tenant_id, batch_id), ConsistentRead=True
        )
        return batch_from_item(got["Item"]) if "Item" in got else None

    def get_with_tenant(self, tenant_id: str, batch_id: str) -> tuple[Batch | None, Tenant | None]:
        """The batch and its tenant, read consistently in one BatchGetItem (keys DynamoDB leaves
        unprocessed are asked again)."""
        pending: dict[str, Any] = {
            self._batches: {"Keys": [self._key(tenant_id, batch_id)], "ConsistentRead": True},
            self._tenants: {"Keys": [{"tenant_id": value(tenant_id)}], "ConsistentRead": True}}
        found = batch_get(self._db, pending)
        batches, tenants = found[self._batches], found[self._tenants]
        return (batch_from_item(batches[0]) if batches else None,
                tenant_from_item(tenants[0]) if tenants else None)

    def page(self, tenant_id: str, limit: int, cursor: str | None,
             statuses: tuple[BatchStatus, ...] = (), name_contains: str | None = None,
             ) -> tuple[list[Batch], str | None]:
        """A page of a tenant's batches, newest first (optionally filtered), and the next cursor."""
        kwargs: dict[str, Any] = {
            "TableName": self._batches, "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": value(tenant_id)}, "ScanIndexForward": False,
        }
        filters = []
        if statuses:
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"].update(
                {f":s{i}": value(s.value) for i, s in enumerate(statuses)})
            filters.append(f"#status IN ({', '.join(f':s{i}' for i in range(len(statuses)))})")
        if name_contains:
            kwargs["ExpressionAttributeValues"][":q"] = value(name_contains.lower())
            filters.append("contains(name_lc, :q)")
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        start = self._key(tenant_id, decode_cursor(cursor, _BATCH_ID)) if cursor else None
        batches: list[Batch] = []
        while True:  # a filtered page can come back short: read on until it is full
            kwargs["Limit"] = limit - len(batches) if not filters else max(limit, 25)
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._db.query(**kwargs)
            for item in page.get("Items", []):
                batches.append(batch_from_item(item))
                if len(batches) == limit:
                    return batches, encode_cursor(batches[-1].batch_id)
            start = page.get("LastEvaluatedKey")
            if not start:
                return batches, None

    def patch(self, tenant_id: str, batch_id: str, patch: BatchPatch, now: str) -> Batch | None:
        """Apply a customer's patch; None when its max_credits is below what the batch spent."""
        changes = patch.model_dump(exclude_none=True)
        if patch.max_credits is None:
            return self._set(tenant_id, batch_id, now, changes)
        # never below what was spent, even by a worker settling right now
        return self._set(tenant_id, batch_id, now, changes, "credits_spent <= :cap",
                         {":cap": patch.max_credits})

    def _set(self, tenant_id: str, batch_id: str, now: str, changes: dict[str, Any],
             condition: str | None = None, condition_values: dict[str, Any] | None = None,
             ) -> Batch | None:
        """Set attributes of an existing batch (under an optional condition); None if refused."""
        fields = {name: stored(name, v) for name, v in changes.items() if name != "counts"}
        if "counts" in changes:  # the row counters are n_<status> attributes
            fields.update({f"n_{status}": count for status, count in asdict(changes["counts"]).items()})
        if "name" in changes:
            fields["name_lc"] = changes["name"].lower()
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        if condition and "#status" in condition:
            names["#status"] = "status"
        values = {f":f{i}": value(v) for i, v in enumerate(fields.values())}
        values[":now"] = value(now)
        values.update({k: value(v) for k, v in (condition_values or {}).items()})
        sets = [f"#f{i} = :f{i}" for i in range(len(fields))] + ["updated_at = :now"]
        # a finished batch leaves the attention index (topology.ATTENTION)
        removes = " REMOVE attention, dispatch_at, finalize_checkpoint, finalize_step" \
            if changes.get("finished_at") else ""
        return self._update_if(
            tenant_id, batch_id, UpdateExpression="SET " + ", ".join(sets) + removes,
            ConditionExpression="attribute_exists(batch_id)" + (
                f" AND ({condition})" if condition else ""),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def _update_if(self, tenant_id: str, batch_id: str, **update: Any) -> Batch | None:
        """A conditional UpdateItem on a batch: the batch as it now is, or None if refused."""
        got = conditional(lambda: self._db.update_item(
            TableName=self._batches, Key=self._key(tenant_id, batch_id), ReturnValues="ALL_NEW", **update))
        return None if got is None else batch_from_item(got["Attributes"])

    def transition(
        self, tenant_id: str, batch_id: str, to: BatchStatus, allowed_from: tuple[BatchStatus, ...],
        now: str, **fields: Any,
    ) -> Batch | None:
        """Move a batch to ``to`` if its status is one of ``allowed_from``; the new batch or None.

        ``fields`` are Batch attributes set with it (``message``, ``fields``, ``finished_at`` …).
        """
        allowed = {f":from{i}": s.value for i, s in enumerate(allowed_from)}
        return self._set(tenant_id, batch_id, now, {"status": to.value, **fields},
                         f"#status IN ({', '.join(allowed)})", allowed)

    def skip_unsettled(self, batch: Batch, now: str) -> Batch | None:
        """Count a cancelled batch's rows that never settled as skipped, from its counters as
        ``batch`` holds them (no settlement changes them once it is cancelled); None when it was
        not cancelled or finalize counted its rows already."""
        assert batch.total_rows is not None, "a batch that was split"
        counts = batch.counts
        skipped = batch.total_rows - counts.completed - counts.not_found - counts.failed
        final = replace(counts, skipped=skipped, parked=0)
        return self._set(batch.tenant_id, batch.batch_id, now, {"counts": final, "parked_cost": 0},
                         "#status = :cancelled AND attribute_not_exists(finished_at)",
                         {":cancelled": BatchStatus.CANCELLED.value})

    def reopen(self, tenant_id: str, batch_id: str, rows: dict[RowStatus, int], found: dict[str, int],
               chunks: int, now: str, message: str, dispatch_at: int,
               lookups: dict[str, int] | None = None, refresh_after: str | None = None) -> Batch | None:
        """Take a finished batch (completed, or failed with results) back to processing for a
        reprocess; None if it was not finished so.

        The rows being reprocessed leave the counters: ``rows`` by their status, ``found`` by the
        enrichers that had found data for them, ``lookups`` by how their vendors answered;
        ``chunks`` of its chunks are open again. The batch is open again (attention index) and
        dispatching since ``dispatch_at``. ``refresh_after``: vendor answers kept before it are
        not reused.
        """
        subtract = {**{f"n_{status.value}": count for status, count in rows.items()},
                    **{f"f_{name}": count for name, count in found.items()},
                    **{f"l_{how}": count for how, count in (lookups or {}).items()}}
        names = {"#status": "status", **{f"#c{i}": name for i, name in enumerate(subtract)}}
        values: dict[str, Any] = {
            ":processing": value(BatchStatus.PROCESSING.value), ":now": value(now),
            ":completed": value(BatchStatus.COMPLETED.value), ":chunks": value(-chunks),
            ":failed": value(BatchStatus.FAILED.value), ":message": value(message),
            ":open": value(ATTENTION_OPEN), ":dispatch": value(dispatch_at),
            **{f":c{i}": value(-amount) for i, amount in enumerate(subtract.values())},
        }
        adds = ", ".join(["chunks_done :chunks", *(f"#c{i} :c{i}" for i in range(len(subtract)))])
        refresh = ""
        if refresh_after is not None:
            refresh = ", refresh_after = :refresh"
            values[":refresh"] = value(refresh_after)
        return self._update_if(
            tenant_id, batch_id,
            UpdateExpression="SET #status = :processing, updated_at = :now, message = :message, "
            f"attention = :open, dispatch_at = :dispatch{refresh} REMOVE finished_at, failure "
            f"ADD {adds}",
            ConditionExpression="#status = :completed OR (#status = :failed "
            "AND attribute_exists(failure) AND attribute_exists(finished_at))",
            ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def reopen_chunk(self, batch_id: str, chunk: int, next_part: int, key: str) -> None:
        """Mark a settled chunk open again for its next (reprocess) part, stored at ``key``
        (Conflict if it moved on)."""
        with refusal_raises(Conflict(f"Chunk {chunk} of {batch_id} moved past part {next_part}.")):
            self._db.update_item(
                TableName=self._chunks, Key={"batch_id": value(batch_id), "chunk": value(chunk)},
                UpdateExpression="SET done = :false, reprocess_key = :key",
                ConditionExpression="next_part = :part",
                ExpressionAttributeValues={":false": value(False), ":part": value(next_part),
                                           ":key": value(key)})

    def record_split(self, tenant_id: str, batch_id: str, total_rows: int, chunks_total: int,
                     now: str) -> Batch:
        """Record how many rows and chunks the file split into; returns the batch as it now is."""
        got = self._db.update_item(
            TableName=self._batches, Key=self._key(tenant_id, batch_id),
            UpdateExpression="SET total_rows = :rows, chunks_total = :chunks, updated_at = :now",
            ExpressionAttributeValues={
                ":rows": value(total_rows), ":chunks": value(chunks_total), ":now": value(now),
            },
            ReturnValues="ALL_NEW",
        )
        return batch_from_item(got["Attributes"])

    def chunks(self, batch_id: str, parked_only: bool = False) -> list[ChunkState]:
        """Every chunk settlement record of a batch, in chunk order (or only the parked ones)."""
        kwargs: dict[str, Any] = {
            "TableName": self._chunks, "KeyConditionExpression": "batch_id = :b",
            "ExpressionAttributeValues": {":b": value(batch_id)}, "ConsistentRead": True,
        }
        if parked_only:
            kwargs["FilterExpression"] = "done = :false"
            kwargs["ExpressionAttributeValues"][":false"] = value(False)
        return [chunk_from_item(item) for item in all_pages(self._db.query, kwargs)]
