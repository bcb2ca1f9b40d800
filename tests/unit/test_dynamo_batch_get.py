"""``adapters.dynamo.batch_get``: the keys DynamoDB leaves unprocessed are asked again."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo import batch_get


class LeavesKeys:
    """A BatchGetItem that answers one key a round and leaves the others unprocessed."""

    def __init__(self) -> None:
        self.rounds = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.rounds += 1
        table, asked = next(iter(RequestItems.items()))
        first, *rest = asked["Keys"]
        left = {table: {**asked, "Keys": rest}} if rest else {}
        return {"Responses": {table: [first]}, "UnprocessedKeys": left}


def _keys(n: int) -> dict[str, Any]:
    return {"t": {"Keys": [{"k": {"S": str(i)}} for i in range(n)], "ConsistentRead": True}}


def test_every_key_is_found_however_many_rounds_it_takes() -> None:
    client = LeavesKeys()
    found = batch_get(client, _keys(3))
    assert found == {"t": [{"k": {"S": "0"}}, {"k": {"S": "1"}}, {"k": {"S": "2"}}]}
    assert client.rounds == 3


def test_a_bounded_read_stops_after_its_rounds_with_what_it_found() -> None:
    client = LeavesKeys()
    found = batch_get(client, _keys(5), attempts=2)
    assert found == {"t": [{"k": {"S": "0"}}, {"k": {"S": "1"}}]}
    assert client.rounds == 2
