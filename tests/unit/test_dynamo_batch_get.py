"""``adapters.dynamo.batch_get``: the keys DynamoDB leaves unprocessed are asked again."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.dynamo import STALLED_ROUNDS, ReadStalled, batch_get


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


class Throttled:
    """A BatchGetItem on a table out of read capacity: every key left unprocessed, every round."""

    def __init__(self) -> None:
        self.rounds = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.rounds += 1
        return {"Responses": {table: [] for table in RequestItems}, "UnprocessedKeys": RequestItems}


def _keys(n: int) -> dict[str, Any]:
    return {"t": {"Keys": [{"k": {"S": str(i)}} for i in range(n)], "ConsistentRead": True}}


def test_every_key_is_found_however_many_rounds_it_takes() -> None:
    client = LeavesKeys()
    waits: list[float] = []
    found = batch_get(client, _keys(3), pause=waits.append)
    assert found == {"t": [{"k": {"S": "0"}}, {"k": {"S": "1"}}, {"k": {"S": "2"}}]}
    assert client.rounds == 3
    # asked again only after a wait, each longer than the last (exponential backoff, jittered)
    assert len(waits) == 2 and 0.05 <= waits[0] < waits[1] <= 0.11


def test_a_throttled_table_stops_the_read_instead_of_spinning() -> None:
    client, waits = Throttled(), list[float]()
    with pytest.raises(ReadStalled, match="1 keys unprocessed"):
        batch_get(client, _keys(1), pause=waits.append)
    assert client.rounds == STALLED_ROUNDS
    assert len(waits) == STALLED_ROUNDS - 1 and waits == sorted(waits)


def test_a_bounded_read_stops_after_its_rounds_with_what_it_found() -> None:
    client = LeavesKeys()
    found = batch_get(client, _keys(5), attempts=2, pause=lambda seconds: None)
    assert found == {"t": [{"k": {"S": "0"}}, {"k": {"S": "1"}}]}
    assert client.rounds == 2
