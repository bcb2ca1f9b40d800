"""The embedded emulator's own fixes: a cancelled transaction leaves every item as it was."""

from __future__ import annotations

import io
import time
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def _add(key: dict[str, Any], table: str = "plain") -> Any:
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": "ADD n :one",
                       "ExpressionAttributeValues": {":one": {"N": "1"}}}}


def _everything(db: DynamoDBClient) -> dict[str, list[dict[str, Any]]]:
    return {t: sorted(db.scan(TableName=t)["Items"], key=repr) for t in ("plain", "ranged")}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={"k": {"S": "kept"}, "n": {"N": "5"}, "tags": {"L": [{"S": "a"}]}})
    db.put_item(TableName="ranged", Item={"h": {"S": "x"}, "r": {"N": "1"}, "n": {"N": "1"}})
    before = _everything(db)

    with pytest.raises(ClientError) as refused:
        db.transact_write_items(TransactItems=[
            _add({"k": {"S": "kept"}}),  # an existing item changed ...
            _add({"k": {"S": "created"}}),  # ... one created by an update ...
            {"Put": {"TableName": "ranged", "Item": {"h": {"S": "x"}, "r": {"N": "2"}}}},  # ... one put
            _add({"h": {"S": "new-hash"}, "r": {"N": "1"}}, "ranged"),  # ... one under a new hash key
            {"ConditionCheck": {"TableName": "ranged", "Key": {"h": {"S": "x"}, "r": {"N": "1"}},
                                "ConditionExpression": "n > :big",
                                "ExpressionAttributeValues": {":big": {"N": "100"}}}},  # refuses
        ])

    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "None", "ConditionalCheckFailed"]
    assert _everything(db) == before
    assert db.query(TableName="ranged", KeyConditionExpression="h = :h",
                    ExpressionAttributeValues={":h": {"S": "new-hash"}})["Items"] == []


def test_a_committed_transaction_writes_every_item(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={"k": {"S": "kept"}, "n": {"N": "5"}})

    db.transact_write_items(TransactItems=[
        _add({"k": {"S": "kept"}}), _add({"k": {"S": "created"}}),
        {"Put": {"TableName": "ranged", "Item": {"h": {"S": "x"}, "r": {"N": "2"}}}},
    ])

    plain = {i["k"]["S"]: i["n"]["N"] for i in db.scan(TableName="plain")["Items"]}
    assert plain == {"kept": "6", "created": "1"}
    assert db.scan(TableName="ranged")["Count"] == 1


def test_a_transaction_naming_one_item_twice_is_refused_whole(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={"k": {"S": "kept"}, "n": {"N": "5"}})
    before = _everything(db)

    with pytest.raises(ClientError):
        db.transact_write_items(TransactItems=[_add({"k": {"S": "other"}}), _add({"k": {"S": "kept"}}),
                                               _add({"k": {"S": "kept"}})])

    assert _everything(db) == before


def test_an_empty_object_uploads_at_once(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore sends "Expect: 100-continue" with Content-Length 0; waitress used to wait for a
    # body that never came, so finalize's empty rows.jsonl timed out and was retried for ever.
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    s3 = get_clients().s3
    s3.create_bucket(Bucket="empty-objects")
    started = time.monotonic()

    s3.put_object(Bucket="empty-objects", Key="put", Body=b"")
    s3.upload_fileobj(io.BytesIO(b""), "empty-objects", "upload")

    assert time.monotonic() - started < 5
    assert s3.get_object(Bucket="empty-objects", Key="upload")["Body"].read() == b""
    assert s3.head_object(Bucket="empty-objects", Key="put")["ContentLength"] == 0


def test_items_of_every_type_come_back_as_they_were_stored(db: DynamoDBClient) -> None:
    # Items holding only JSON types are written as they are, without moto's shape walk; one
    # with a binary value anywhere (bytes need base64) takes the walk. Both must round-trip.
    plain: dict[str, Any] = {"k": {"S": "plain"}, "s": {"S": "a, \"quoted\"\nline é"}, "n": {"N": "-12.50"},
             "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True}, "ss": {"SS": ["x", "y"]},
             "ns": {"NS": ["1", "2.5"]}, "l": {"L": [{"S": "one"}, {"N": "2"}, {"L": []}, {"M": {}}]},
             "m": {"M": {"deep": {"M": {"n": {"N": "0"}, "l": {"L": [{"NULL": True}]}}}}}}
    binary: dict[str, Any] = {"k": {"S": "binary"}, "b": {"B": b"\x00\xffbytes"}, "bs": {"BS": [b"a", b"b"]},
              "m": {"M": {"inner": {"B": b"\x01"}, "s": {"S": "kept"}}}}
    for item in (plain, binary):
        db.put_item(TableName="plain", Item=item)

    for item in (plain, binary):
        got = db.get_item(TableName="plain", Key={"k": item["k"]}, ConsistentRead=True)["Item"]
        assert _normalized(got) == _normalized(item)
    scanned = {i["k"]["S"]: i for i in db.scan(TableName="plain")["Items"]}
    assert _normalized(scanned["plain"]) == _normalized(plain)
    assert _normalized(scanned["binary"]) == _normalized(binary)
    updated = db.update_item(TableName="plain", Key={"k": {"S": "plain"}}, UpdateExpression="SET x = :x",
                             ExpressionAttributeValues={":x": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert _normalized(updated["Attributes"]) == _normalized({**plain, "x": {"N": "1"}})


def _normalized(item: Any) -> Any:
    """Sets compare unordered."""
    if isinstance(item, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _normalized(v) for k, v in item.items()}
    if isinstance(item, list):
        return [_normalized(v) for v in item]
    return item
