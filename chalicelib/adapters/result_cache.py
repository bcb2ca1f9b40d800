"""DynamoDB adapter for the result cache: one item per tenant source and lookup input.

An item is either an answer (``state`` answered: the outputs as JSON text, when they came and
for which batch) or a claim (``state`` asking: who asks the vendor now, until when). A claim is
one conditional PutItem, so of the workers that need the same answer at once one asks the vendor
and the others read its answer. Times are stored in epoch milliseconds (``expires_at``, the TTL
attribute, in seconds).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo import batch_get, conditional, from_dynamo, to_dynamo, value
from chalicelib.ports.result_cache import Answer, CacheEntry

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_GET = 100  # keys per BatchGetItem (DynamoDB's limit)
_ATTEMPTS = 5  # BatchGetItem rounds for keys DynamoDB left unprocessed
_MAX_ANSWER_BYTES = 300_000  # DynamoDB items hold 400 KB: a bigger answer is not kept
_CLAIM_KEEP_SECONDS = 3600  # an abandoned claim's item is removed by the TTL after this


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class ResultCacheStore:
    """The ResultCache port on a DynamoDB table keyed by ``lookup``."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """The entries of the keys that have one, read consistently, 100 keys a request."""
        wanted = list(dict.fromkeys(keys))  # BatchGetItem refuses a key asked twice
        found: dict[str, CacheEntry] = {}
        for start in range(0, len(wanted), _BATCH_GET):
            request: dict[str, Any] = {self._table: {
                "Keys": [{"lookup": value(key)} for key in wanted[start:start + _BATCH_GET]],
                "ConsistentRead": True}}
            for raw in batch_get(self._db, request, attempts=_ATTEMPTS)[self._table]:
                item = from_dynamo(raw)
                found[item["lookup"]] = _entry(item)
        return found

    def claim(self, key: str, owner: str, lease_until: float, fresh_after: float, now: float) -> bool:
        """Take the lookup unless a usable answer or a live claim holds it."""
        return conditional(lambda: self._db.put_item(
            TableName=self._table,
            Item=to_dynamo({"lookup": key, "state": "asking", "owner": owner,
                            "lease_until": _ms(lease_until),
                            "expires_at": int(lease_until) + _CLAIM_KEEP_SECONDS}),
            ConditionExpression="attribute_not_exists(lookup) OR expires_at <= :now_s OR "
            "(#state = :asking AND lease_until <= :now) OR "
            "(#state = :answered AND fetched_at < :fresh)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":now_s": value(int(now)), ":now": value(_ms(now)),
                                       ":fresh": value(_ms(fresh_after)),
                                       ":asking": value("asking"), ":answered": value("answered")},
        )) is not None

    def put(self, key: str, answer: Answer, expires_at: float) -> None:
        """Keep an answer, unless it is too big for an item."""
        outputs = json.dumps({"matched": answer.matched, "outputs": answer.outputs},
                             ensure_ascii=False, separators=(",", ":"))
        if len(outputs.encode()) > _MAX_ANSWER_BYTES:
            return
        self._db.put_item(TableName=self._table, Item=to_dynamo({
            "lookup": key, "state": "answered", "answer": outputs,
            "fetched_at": _ms(answer.fetched_at), "batch_id": answer.batch_id,
            "expires_at": int(expires_at)}))

    def release(self, key: str, owner: str) -> None:
        """Remove ``owner``'s claim, if it still holds it."""
        conditional(lambda: self._db.delete_item(
            TableName=self._table, Key={"lookup": value(key)},
            ConditionExpression="#state = :asking AND #owner = :owner",
            ExpressionAttributeNames={"#state": "state", "#owner": "owner"},
            ExpressionAttributeValues={":asking": value("asking"), ":owner": value(owner)}))


def _entry(item: dict[str, Any]) -> CacheEntry:
    expires_at = float(item.get("expires_at", 0))
    if item.get("state") != "answered":
        return CacheEntry(None, item.get("lease_until", 0) / 1000, expires_at)
    kept = json.loads(item["answer"])
    answer = Answer(bool(kept["matched"]), dict(kept["outputs"]), item["fetched_at"] / 1000,
                    item.get("batch_id", ""))
    return CacheEntry(answer, 0.0, expires_at)
