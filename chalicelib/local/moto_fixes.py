"""Fixes of ours to moto's performance, same behaviour: the embedded emulator (and the tests) use them.

- DynamoDB: TransactWriteItems deep-copies every table it touches before writing, so that a
  cancelled transaction can be undone: a cost that grows with the table (the chunks and ledger
  tables grow by one item per chunk). Here a transaction saves and restores only the items it
  names, which is all a cancelled transaction can have changed.
- SQS: every request that looks at a queue's attributes (each receive, per message received,
  for the retention period; each send) computes all of them, scanning every message three
  times, and GetQueueAttributes does so three times per attribute asked; each message's
  visibility is checked through a datetime round trip. Here the retention period is read
  from the queue, the attributes are computed once per request and "now" is ``time.time()``.
- SQS: every message sent computes its queue's attributes to read one of them
  (``ContentBasedDeduplication``), and with them the three message counts, each a scan of every
  message in the queue: a SendMessageBatch of ten to a work queue holding a few hundred chunks
  looked at each of them thirty times. Here the counts are not computed while a message is sent
  (nothing in a send reads them), and each attribute's name is turned into moto's field name once.
- DynamoDB: every update parses its expression again (twice); here each distinct expression
  is parsed once (the validators copy the tree before they resolve it against an item).
- DynamoDB: every item returned (GetItem, Query, an update's ReturnValues) is serialized by
  walking botocore's shapes: each attribute value asks a picker for each of the ten members an
  AttributeValue could have (half of a GetItem's CPU). An item is already in DynamoDB's wire
  form (one type key, strings for S and N): here a map of attribute values that holds only
  JSON types is written as it is; one with a binary value still takes the walk (bytes need
  base64).

``moto_requests`` holds the fixes of moto's CPU per request, ``moto_sizes`` its item-size check,
``moto_s3_fixes`` S3's (applied with these).
"""

from __future__ import annotations

import copy
import threading
import time
from functools import cache
from typing import Any

import moto.dynamodb.models as dynamodb_models
import moto.sqs.models as sqs_models
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import unix_time, unix_time_millis
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.sqs.exceptions import InvalidAttributeName
from moto.sqs.models import Message, Queue, SQSBackend

from chalicelib.local import moto_requests, moto_sizes
from chalicelib.local.moto_s3_fixes import answer_gone_uploads, store_fewer_copies

_applied: list[str] = []


class _TablesKept:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a table is not copied.

    moto restores ``self.tables[name]`` from its "copy" when a transaction is cancelled;
    with this the restore puts back the same table, whose items ``_item_level`` restores.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_Saved = tuple[Table, DynamoType, DynamoType | None, Any]


def _targets(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Saved]:
    """Each item the transaction names, as it is now (None when absent), copied."""
    saved: list[_Saved] = []
    for entry in transact_items:
        op: dict[str, Any] = next(iter(entry.values()), {})
        table = backend.tables.get(op.get("TableName", ""))
        attrs = op.get("Item") or op.get("Key") or {}
        if table is None or table.hash_key_attr not in attrs:
            continue  # moto refuses the request itself
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attrs:
                continue
            range_value = DynamoType(attrs[table.range_key_attr])
        saved.append((table, hash_value, range_value,
                      copy.deepcopy(table.get_item(hash_value, range_value))))
    return saved


def _restore(saved: list[_Saved]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        if item is None:
            table.delete_item(hash_value, range_value)
            if range_value is not None and not table.items.get(hash_value, True):
                del table.items[hash_value]
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item


def _item_level_transactions() -> None:
    """Make moto's TransactWriteItems save and restore the named items instead of whole tables."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "item_level", False):
        return
    setattr(dynamodb_models, "copy", _TablesKept())  # noqa: B010 (moto's module global)

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _targets(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    transact_write_items.item_level = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _now_seconds(dt: Any = None) -> float:
    return time.time() if dt is None else unix_time(dt)


def _now_millis(dt: Any = None) -> float:
    return time.time() * 1000.0 if dt is None else unix_time_millis(dt)


def _queue_attributes(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
    invalid = next((name for name in attribute_names if name not in valid), None)
    if invalid or invalid == "":
        raise InvalidAttributeName(invalid)
    everything: dict[str, Any] = queue.attributes  # computed once, not three times per name
    if "All" in attribute_names:
        return everything
    return {name: everything[name] for name in attribute_names if everything.get(name) is not None}


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    period = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009
    return bool(period + message.sent_timestamp / 1000 > time.time())  # type: ignore[operator]


def _fast_sqs() -> None:
    setattr(sqs_models, "unix_time", _now_seconds)  # noqa: B010 (moto's module globals)
    setattr(sqs_models, "unix_time_millis", _now_millis)  # noqa: B010
    SQSBackend.get_queue_attributes = _queue_attributes  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]


_COUNTS = ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
           "approximate_number_of_messages_not_visible")


class _Sending(threading.local):
    """How deep this thread is in moto's ``send_message`` (0: not sending)."""

    depth = 0


_sending = _Sending()


def _uncounted(count: property) -> property:
    def get(queue: Queue) -> Any:
        return 0 if _sending.depth else count.fget(queue)  # type: ignore[misc]

    return property(get)


def _sends_without_counts() -> None:
    """A send reads its queue's attributes without the message counts in them (moto scanned the
    queue three times for each message sent, to read ``ContentBasedDeduplication``)."""
    send = SQSBackend.send_message
    if getattr(send, "without_counts", False):
        return
    for name in _COUNTS:
        setattr(Queue, name, _uncounted(getattr(Queue, name)))

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Message:
        _sending.depth += 1
        try:
            return send(self, *args, **kwargs)
        finally:
            _sending.depth -= 1

    send_message.without_counts = True  # type: ignore[attr-defined]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
    names = cache(getattr(sqs_models, "camelcase_to_underscores"))  # noqa: B009
    setattr(sqs_models, "camelcase_to_underscores", names)  # noqa: B010 (moto's module global)


def _parsed_once() -> None:
    """Parse each distinct update expression once (moto's validators work on a deep copy of it)."""
    parse = UpdateExpressionParser.make
    parsed: dict[str, Any] = {}

    def make(expression: str) -> Any:
        if expression not in parsed:
            if len(parsed) > 10_000:
                parsed.clear()
            parsed[expression] = parse(expression)
        return parsed[expression]

    UpdateExpressionParser.make = make


_SCALARS = {"S": str, "N": str, "BOOL": bool, "NULL": bool}
_SETS = ("SS", "NS")


def _wire_form(value: Any) -> bool:
    """True when an attribute value is its own JSON serialization (no binary, strings as such)."""
    if type(value) is not dict or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _SCALARS:
        return type(inner) is _SCALARS[kind]
    if kind in _SETS:
        return type(inner) is list and all(type(member) is str for member in inner)
    if kind == "M":
        return type(inner) is dict and all(_wire_form(member) for member in inner.values())
    if kind == "L":
        return type(inner) is list and all(_wire_form(member) for member in inner)
    return False


def _items_as_they_are() -> None:
    """Write a map of attribute values that holds only JSON types as it is (no shape walk)."""
    original = BaseJSONSerializer._serialize_type_map
    if getattr(original, "as_they_are", False):
        return

    def serialize_map(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (getattr(shape.value, "name", None) == "AttributeValue" and type(value) is dict
                and all(_wire_form(member) for member in value.values())):
            self._default_serialize(serialized, value, shape, key)
            return
        original(self, serialized, value, shape, key)

    serialize_map.as_they_are = True  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize_type_map = serialize_map  # type: ignore[method-assign]


def apply() -> None:
    """Apply every fix once per process."""
    if _applied:
        return
    _item_level_transactions()
    _parsed_once()
    _fast_sqs()
    _sends_without_counts()
    _items_as_they_are()
    moto_requests.apply()
    moto_sizes.apply()
    answer_gone_uploads()  # behaviour, not speed: S3's answer (moto_s3_fixes)
    store_fewer_copies()  # moto_s3_fixes
    _applied.append("done")
