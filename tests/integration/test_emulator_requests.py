"""The emulator's per-request fixes (``moto_requests``) answer as moto does: conditions parsed once
still judge each request by its own values and names, and still refuse what moto refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY = {"k": {"S": "one"}}


def _add_if(db: DynamoDBClient, condition: str, values: dict[str, Any],
            names: dict[str, str] | None = None) -> str:
    """ADD 1 to n under a condition; 'ok' or the refusal's code."""
    request: Any = {"TableName": "plain", "Key": KEY, "UpdateExpression": "ADD n :one",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": {":one": {"N": "1"}, **values}}
    if names:
        request["ExpressionAttributeNames"] = names
    try:
        db.update_item(**request)
    except ClientError as refused:
        return str(refused.response["Error"]["Code"])
    return "ok"


def _n(db: DynamoDBClient) -> int:
    return int(db.get_item(TableName="plain", Key=KEY, ConsistentRead=True)["Item"]["n"]["N"])


def test_one_condition_judges_each_request_by_its_own_values_and_names(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={**KEY, "n": {"N": "5"}, "m": {"N": "50"}})

    answers = [
        _add_if(db, "n < :limit", {":limit": {"N": "10"}}),  # 5 < 10
        _add_if(db, "n < :limit", {":limit": {"N": "3"}}),  # 6 < 3: refused
        _add_if(db, "n < :limit", {":limit": {"N": "10"}}),  # 6 < 10
        _add_if(db, "#a < :limit", {":limit": {"N": "10"}}, {"#a": "n"}),  # 7 < 10
        _add_if(db, "#a < :limit", {":limit": {"N": "10"}}, {"#a": "m"}),  # 50 < 10: refused
        _add_if(db, "#a < :limit", {":limit": {"N": "10"}}, {"#a": "n"}),  # 8 < 10
    ]

    assert answers == ["ok", "ConditionalCheckFailedException", "ok", "ok",
                       "ConditionalCheckFailedException", "ok"]
    assert _n(db) == 9


def test_what_moto_refuses_is_refused_every_time(db: DynamoDBClient) -> None:
    db.put_item(TableName="plain", Item={**KEY, "n": {"N": "1"}})
    unused = {":limit": {"N": "10"}, ":spare": {"N": "1"}}

    refusals = [_add_if(db, "n < :limit", unused) for _ in range(2)]  # a value the condition never uses
    unnamed = [_add_if(db, "#a < :limit", {":limit": {"N": "10"}}, {"#a": "n", "#b": "m"})
               for _ in range(2)]  # a name it never uses

    assert refusals == unnamed == ["ValidationException"] * 2
    assert _add_if(db, "n < :limit", {":limit": {"N": "10"}}) == "ok"
    assert _n(db) == 2


def test_updates_apply_the_same_way_each_time(db: DynamoDBClient) -> None:
    expression = "SET tags = list_append(if_not_exists(tags, :empty), :tag), #s = :s ADD n :one REMOVE gone"
    db.put_item(TableName="plain", Item={**KEY, "gone": {"S": "x"}})

    for tag in ("a", "b", "c"):
        db.update_item(TableName="plain", Key=KEY, UpdateExpression=expression,
                       ExpressionAttributeNames={"#s": "status"},
                       ExpressionAttributeValues={":empty": {"L": []}, ":tag": {"L": [{"S": tag}]},
                                                  ":s": {"S": tag}, ":one": {"N": "1"}})

    item = db.get_item(TableName="plain", Key=KEY, ConsistentRead=True)["Item"]
    assert item == {**KEY, "tags": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
                    "status": {"S": "c"}, "n": {"N": "3"}}
    with pytest.raises(ClientError, match="Two document paths overlap"):  # still checked each time
        db.update_item(TableName="plain", Key=KEY, UpdateExpression="SET n = :one, n = :one",
                       ExpressionAttributeValues={":one": {"N": "1"}})


def test_an_action_moto_does_not_know_is_still_refused(db: DynamoDBClient) -> None:
    db.describe_table(TableName="plain")  # the class's methods listed once ...

    with pytest.raises(ClientError):  # ... still do not include an action it lacks
        db.describe_contributor_insights(TableName="plain")


def _shape(node: Any, parent: Any = None) -> Any:
    """A tree as plain data (each node's class and children), checking every parent link."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    if not isinstance(node, Node):
        return node
    assert node.parent is parent
    children = None if node.children is None else [_shape(c, node) for c in node.children]
    return (type(node).__name__, node.type, children)


def test_a_parsed_update_is_copied_whole_and_apart_from_the_original(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    from chalicelib.local.moto_requests import copied

    tree = UpdateExpressionParser.make(
        "SET #s = :s, tags = list_append(if_not_exists(tags, :e), :t), a.b[2] = :x + :y "
        "ADD n :one, #c0 :c0 REMOVE gone, old[1] DELETE tagset :d")

    deep = copy.deepcopy(tree)
    with monkeypatch.context() as patched:  # the node-by-node copy, not deepcopy's
        patched.setattr(copy, "deepcopy", lambda *_: pytest.fail("copied with deepcopy"))
        copy_of = copied(tree)
    assert _shape(copy_of) == _shape(tree) == _shape(deep)

    def nodes(node: Any) -> list[Any]:
        return [node, *(n for c in (node.children or []) if hasattr(c, "children") for n in nodes(c))]

    assert not {id(n) for n in nodes(copy_of)} & {id(n) for n in nodes(tree)}  # nothing shared
    tree.extra = "an attribute the node-by-node copy does not know"
    assert copied(tree).extra == tree.extra  # copied by copy.deepcopy, as before


def test_clauses_are_counted_only_where_a_count_could_refuse(db: DynamoDBClient) -> None:
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        UpdateExpression,
        UpdateExpressionAddClause,
        UpdateExpressionRemoveClause,
        UpdateExpressionSetClause,
    )
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    kinds = [UpdateExpressionAddClause, UpdateExpressionRemoveClause, UpdateExpressionSetClause]
    expressions = ["ADD a :a SET b = :b SET c = :c ADD d :d", "SET a = if_not_exists(a, :z) REMOVE b",
                   "REMOVE a ADD b :b REMOVE c DELETE s :s SET d = list_append(d, :l), e = :e + :f"]

    def nodes(node: Any) -> list[Any]:
        return [node, *(n for c in (node.children or []) if hasattr(c, "children") for n in nodes(c))]

    for expression in expressions:  # a node that is not an UpdateExpression itself holds no clause
        for node in nodes(UpdateExpressionParser.make(expression)):
            if type(node) is not UpdateExpression and hasattr(node, "find_clauses"):
                assert all(len(node.find_clauses([kind])) <= 1 for kind in kinds), expression
    db.put_item(TableName="plain", Item=KEY)
    refused = {"SET a = :one SET b = :one": "SET",  # the section moto named before, each time
               "ADD a :one SET b = :one SET c = :one ADD d :one": "SET",
               "SET b = :one ADD a :one SET c = :one ADD d :one": "ADD"}
    for twice, section in refused.items():
        with pytest.raises(ClientError, match=f'The "{section}" section can only be used once'):
            db.update_item(TableName="plain", Key=KEY, UpdateExpression=twice,
                           ExpressionAttributeValues={":one": {"N": "1"}})


def test_a_condition_with_binary_values_is_remembered_by_its_values() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    from chalicelib.local import moto_requests

    moto_requests.apply()
    def values(raw: bytes) -> Any:  # bytes, as an in-process caller could pass them
        return {":b": {"B": raw}}

    first = ConditionExpressionParser("attribute_exists(k) OR k = :b", {}, values(b"\x00\x01"))
    again = ConditionExpressionParser("attribute_exists(k) OR k = :b", {}, values(b"\x00\x01"))
    other = ConditionExpressionParser("attribute_exists(k) OR k = :b", {}, values(b"\x00\x02"))

    parsed = first.parse()
    assert again.parse() is parsed  # equal values: parsed once
    assert other.parse() is not parsed  # other bytes: parsed for themselves
    assert first.expr_attr_values_found == again.expr_attr_values_found == [":b"]
