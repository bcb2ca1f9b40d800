"""The Markers port: notes, put-once records and counters on fake and adapter alike."""

from __future__ import annotations

from chalicelib.services.ports import Ports


def test_put_writes_a_note_whatever_was_there(ports: Ports) -> None:
    ports.markers.put("failure#part#b_1#0#0", {"reason": "first"}, expires_at=100)
    ports.markers.put("failure#part#b_1#0#0", {"reason": "latest"}, expires_at=200)

    got = ports.markers.get("failure#part#b_1#0#0")
    assert got is not None and (got["reason"], got["expires_at"]) == ("latest", 200)


def test_put_once_writes_until_the_marker_expires_and_delete_frees_it(ports: Ports) -> None:
    assert ports.markers.put_once("idem#k", {"batch_id": "b_1", "n": 3}, expires_at=100, now=10)
    assert not ports.markers.put_once("idem#k", {"batch_id": "b_2"}, expires_at=200, now=99)

    got = ports.markers.get("idem#k")
    assert got is not None and (got["batch_id"], got["n"], got["expires_at"]) == ("b_1", 3, 100)
    assert ports.markers.put_once("idem#k", {"batch_id": "b_3"}, expires_at=300, now=101)  # expired
    ports.markers.delete("idem#k")
    assert ports.markers.get("idem#k") is None
    assert ports.markers.put_once("idem#k", {"batch_id": "b_4"}, expires_at=300, now=101)


def test_a_counter_counts_up_to_its_limit(ports: Ports) -> None:
    counted = [ports.markers.count_up_to("rate#t#1", 3, expires_at=61) for _ in range(5)]

    assert counted == [True, True, True, False, False]
    assert ports.markers.count_up_to("rate#t#2", 3, expires_at=62)
    got = ports.markers.get("rate#t#1")
    assert got is not None and got["hits"] == 3


def test_add_sums_amounts_into_a_counter(ports: Ports) -> None:
    ports.markers.add("stats#rows#7", 500, expires_at=70)
    ports.markers.add("stats#rows#7", 23, expires_at=71)

    got = ports.markers.get("stats#rows#7")
    assert got is not None and (got["hits"], got["expires_at"]) == (523, 71)
