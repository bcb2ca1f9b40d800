"""The batches table's bookkeeping for recovery: the attention index, split progress, dispatches.

Part of ``BatchStore`` (a mixin over the same table), kept apart because it is a concept of its
own: what the tick reads and what lets every step be redone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import topology
from chalicelib.adapters.batch_items import ATTENTION_OPEN, batch_from_item, checkpoint_text
from chalicelib.adapters.dynamo import all_pages, batch_get, conditional, value
from chalicelib.domain.finalize_checkpoint import FinalizeCheckpoint
from chalicelib.domain.messages import SplitCheckpoint
from chalicelib.domain.models import Batch

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_GET_BATCH = 100  # BatchGetItem takes at most a hundred keys


class BatchRecovery:
    """Reads and writes of the batches table that recovery needs."""

    _db: DynamoDBClient
    _batches: str

    def needing_attention(self) -> list[Batch]:
        """Every open batch of every tenant (not finished), read from the sparse attention index.

        The index holds keys only and only open batches, so the read costs what the open
        batches are, never a scan of the table; the batches themselves are read consistently.
        """
        query: dict[str, Any] = {
            "TableName": self._batches, "IndexName": topology.ATTENTION.name,
            "KeyConditionExpression": "attention = :open",
            "ExpressionAttributeValues": {":open": value(ATTENTION_OPEN)},
        }
        keys = [{"tenant_id": item["tenant_id"], "batch_id": item["batch_id"]}
                for item in all_pages(self._db.query, query)]
        batches: list[Batch] = []
        for start in range(0, len(keys), _GET_BATCH):
            found = batch_get(self._db, {self._batches: {"Keys": keys[start:start + _GET_BATCH],
                                                         "ConsistentRead": True}})
            batches += [batch_from_item(item) for item in found[self._batches]]
        return sorted(batches, key=lambda b: b.batch_id)

    def advance_split(self, tenant_id: str, batch_id: str, sent_before: int, sent_now: int,
                      now: str, checkpoint: SplitCheckpoint | None = None) -> bool:
        """Record that split sent chunks up to ``sent_now`` (and where it stopped reading), if
        no other split got further first."""
        condition = "split_sent = :before"
        if sent_before == 0:
            condition = "attribute_not_exists(split_sent) OR " + condition
        update = "SET split_sent = :sent, updated_at = :now"
        values: dict[str, Any] = {":before": sent_before, ":sent": sent_now, ":now": now}
        if checkpoint is not None:
            update += ", split_checkpoint = :at"
            values[":at"] = checkpoint_text(checkpoint)
        return self._if(tenant_id, batch_id, update, condition, values)

    def dispatched(self, tenant_id: str, batch_id: str, since: int) -> None:
        """A resume or reprocess that began at ``since`` sent everything (if no later one began)."""
        self._if(tenant_id, batch_id, "REMOVE dispatch_at", "dispatch_at = :since", {":since": since})

    def healed(self, tenant_id: str, batch_id: str, heals: int, at: int) -> None:
        """The tick continued a stalled batch (the ``heals``-th time without progress)."""
        self._if(tenant_id, batch_id, "SET heals = :heals, healed_at = :at",
                 "attribute_exists(batch_id)", {":heals": heals, ":at": at})

    def finalizing(self, tenant_id: str, batch_id: str, at: int) -> None:
        """A finalize began writing the batch's results at ``at``."""
        self._if(tenant_id, batch_id, "SET finalizing_at = :at", "attribute_exists(batch_id)",
                 {":at": at})

    def advance_finalize(self, tenant_id: str, batch_id: str, before: int,
                         checkpoint: FinalizeCheckpoint, at: int) -> bool:
        """Record a finalize step's checkpoint if the batch's finalize still stands at step
        ``before`` (0: none began) and is not finished."""
        values: dict[str, Any] = {":step": checkpoint.step, ":at": at,
                                  ":at_step": checkpoint.model_dump_json()}
        condition = "attribute_not_exists(finalize_step) AND attribute_not_exists(finished_at)"
        if before:
            condition = "finalize_step = :before"
            values[":before"] = before
        return self._if(tenant_id, batch_id,
                        "SET finalize_step = :step, finalize_checkpoint = :at_step, finalizing_at = :at",
                        condition, values)

    def _if(self, tenant_id: str, batch_id: str, update: str, condition: str,
            values: dict[str, Any]) -> bool:
        return conditional(lambda: self._db.update_item(
            TableName=self._batches,
            Key={"tenant_id": value(tenant_id), "batch_id": value(batch_id)},
            UpdateExpression=update, ConditionExpression=condition,
            ExpressionAttributeValues={k: value(v) for k, v in values.items()})) is not None
