"""DynamoDB plumbing shared by the store adapters: (de)serialization and error codes."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.sources.resilience import backoff_delay

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]
T = TypeVar("T")

_UNPROCESSED_BACKOFF_SECONDS = 0.05  # the first wait before asking again for unprocessed keys
STALLED_ROUNDS = 6  # rounds in a row that find nothing before an unbounded read gives up


class ReadStalled(Exception):
    """DynamoDB kept every key of a BatchGetItem unprocessed, round after round (throttled)."""


def to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    """Python values -> DynamoDB attribute values (None attributes are left out)."""
    return {k: _serializer.serialize(v) for k, v in item.items() if v is not None}


def value(v: Any) -> Any:
    """One Python value -> one DynamoDB attribute value."""
    return _serializer.serialize(v)


def from_dynamo(item: Mapping[str, Any]) -> Item:
    """DynamoDB attribute values -> Python values, with whole-number decimals as ints."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, set):
        return {_plain(x) for x in v}
    return v


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


CONDITION_FAILED = "ConditionalCheckFailedException"  # a conditional write's condition was false
TRANSACTION_CANCELED = "TransactionCanceledException"  # a condition in a transaction was false


def is_condition_failure(exc: ClientError) -> bool:
    """True when a conditional write was refused."""
    return error_code(exc) == CONDITION_FAILED


@contextmanager
def refusal_raises(error: Exception, refused: str = CONDITION_FAILED) -> Iterator[None]:
    """Inside, a write DynamoDB refuses (``refused``) raises ``error``, a domain error, instead."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) == refused:
            raise error from exc
        raise


def conditional(write: Callable[[], T], refused: str = CONDITION_FAILED) -> T | None:
    """The answer of a conditional write (or transaction), or None when DynamoDB refused it."""
    try:
        return write()
    except ClientError as exc:
        if error_code(exc) == refused:
            return None
        raise


def all_pages(call: Callable[..., Any], request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every raw item a Query or Scan returns, page after page."""
    while True:
        page = call(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def batch_get(client: Any, request: dict[str, Any], attempts: int | None = None,
              pause: Callable[[float], None] = time.sleep,
              ) -> dict[str, list[dict[str, Any]]]:
    """The raw items a BatchGetItem finds, by table, asking again for the keys DynamoDB leaves
    unprocessed: until none is left, or for at most ``attempts`` rounds (a cache's read may miss).

    DynamoDB leaves keys unprocessed when a table is short of read capacity; each new ask waits a
    little longer than the last (exponential, jittered, as AWS asks of a client), so a throttled
    table is not asked again at once by every worker. A round that finds nothing at all is a
    stall: after ``STALLED_ROUNDS`` of them an unbounded read gives up with ``ReadStalled`` (a
    transient error: the caller's invocation fails and is retried) instead of spinning.
    """
    found: dict[str, list[dict[str, Any]]] = {table: [] for table in request}
    rounds = stalled = 0
    while request and (attempts is None or rounds < attempts):
        if rounds:
            pause(backoff_delay(rounds - 1, _UNPROCESSED_BACKOFF_SECONDS, random.random))
        got = client.batch_get_item(RequestItems=request)
        answered = got.get("Responses", {})
        for table, items in answered.items():
            found.setdefault(table, []).extend(items)
        request = dict(got.get("UnprocessedKeys") or {})
        rounds += 1
        stalled = 0 if any(answered.values()) else stalled + 1
        if request and attempts is None and stalled >= STALLED_ROUNDS:
            raise ReadStalled(f"BatchGetItem left {sum(len(r['Keys']) for r in request.values())} "
                              f"keys unprocessed for {stalled} rounds in a row")
    return found
