"""The emulator's item-size check (``moto_sizes``) measures as moto measures and refuses what moto
refuses: an item past DynamoDB's 400 KB, alone or inside a transaction, which then writes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.local import moto_sizes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = {"k": {"S": "big"}}
_text = st.text(max_size=12)
_number = st.integers(-10**12, 10**12).map(str) | st.decimals(allow_nan=False, allow_infinity=False,
                                                              places=3).map(str)
_sets = (st.builds(lambda s: {"SS": sorted(s)}, st.sets(_text, min_size=1, max_size=5))
         | st.builds(lambda s: {"NS": sorted(s)}, st.sets(_number, min_size=1, max_size=5))
         | st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(max_size=8), min_size=1, max_size=4)))
_scalar = (st.builds(lambda s: {"S": s}, _text) | st.builds(lambda n: {"N": n}, _number)
           | st.builds(lambda b: {"B": b}, st.binary(max_size=12))
           | st.builds(lambda b: {"BOOL": b}, st.booleans()) | st.just({"NULL": True}) | _sets)
_value = st.recursive(_scalar, lambda inner: st.builds(lambda v: {"L": v}, st.lists(inner, max_size=4))
                      | st.builds(lambda v: {"M": v}, st.dictionaries(_text, inner, max_size=4)),
                      max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_value)
def test_every_kind_of_value_has_the_size_moto_gives_it(value: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    assert moto_sizes.size(DynamoType(value)) == moto_sizes.moto_size(DynamoType(value))


def _update(size: int) -> dict[str, Any]:
    return {"TableName": "plain", "Key": KEY, "UpdateExpression": "SET more = :more",
            "ExpressionAttributeValues": {":more": {"S": "x" * size}}}


def test_an_item_past_the_limit_is_refused_and_one_within_it_is_written(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={**KEY, "body": {"S": "b" * 400_000}})  # 400,009 bytes

    db.update_item(**_update(4_900))  # 400,009 + 4 + 4,900: within moto's 405,000
    with pytest.raises(ClientError, match="Item size"):
        db.update_item(**_update(5_000))  # 400,009 + 4,909 (the old value) + 5,004: past it

    item = db.get_item(TableName="plain", Key=KEY, ConsistentRead=True)["Item"]
    assert len(item["more"]["S"]) == 4_900


def test_a_transaction_that_makes_an_item_too_large_writes_nothing(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={**KEY, "body": {"S": "b" * 400_000}})
    before = db.scan(TableName="plain")["Items"]

    with pytest.raises(ClientError, match="Item size"):
        db.transact_write_items(TransactItems=[
            {"Put": {"TableName": "plain", "Item": {"k": {"S": "other"}, "n": {"N": "1"}}}},
            {"Update": _update(6_000)},  # type: ignore[typeddict-item]
        ])

    assert db.scan(TableName="plain")["Items"] == before
