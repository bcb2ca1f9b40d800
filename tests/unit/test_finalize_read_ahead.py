"""finalize reads the part objects a few ahead, in threads: in order, bounded, errors surfacing;
the parts of one object that follow each other with one GET."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.services import settled
from chalicelib.services.settled import Place, part_bodies, read_ahead


class Reads:
    """A slow object store that records which keys were asked for and how many reads overlapped."""

    def __init__(self, missing: str | None = None) -> None:
        self.started: list[str] = []
        self.most_at_once = 0
        self._running = 0
        self._lock = threading.Lock()
        self._missing = missing

    def read(self, key: str) -> bytes:
        with self._lock:
            self.started.append(key)
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
        time.sleep(0.002)
        with self._lock:
            self._running -= 1
        if key == self._missing:
            raise NotFound(f"No object {key!r}.")
        return key.encode()


def test_bodies_come_back_in_key_order() -> None:
    reads = Reads()
    keys = [f"part-{n}" for n in range(40)]

    bodies = list(read_ahead(reads.read, keys, 8))

    assert bodies == [key.encode() for key in keys]
    assert 1 < reads.most_at_once <= 8


def test_reads_run_only_a_bounded_distance_ahead_of_the_consumer() -> None:
    reads = Reads()
    bodies = read_ahead(reads.read, [f"part-{n}" for n in range(100)], 4)

    assert next(bodies) == b"part-0"
    time.sleep(0.05)

    assert len(reads.started) <= 4
    bodies.close()
    assert len(reads.started) <= 4


def test_a_failed_read_surfaces_where_its_body_would_have_been() -> None:
    reads = Reads(missing="part-3")
    bodies = read_ahead(reads.read, [f"part-{n}" for n in range(10)], 4)

    assert [next(bodies) for _ in range(3)] == [b"part-0", b"part-1", b"part-2"]
    with pytest.raises(NotFound):
        next(bodies)


def test_no_keys_no_bodies() -> None:
    assert list(read_ahead(Reads().read, [], 8)) == []


class Spans:
    """An object store of two objects that records each GET: (key, offset, length), None whole."""

    def __init__(self) -> None:
        self.objects = {"a": bytes(range(100)), "b": b"whole-object"}
        self.gets: list[tuple[str, int, int] | tuple[str, None]] = []

    def read(self, key: str) -> bytes:
        self.gets.append((key, None))
        return self.objects[key]

    def read_span(self, key: str, offset: int, length: int) -> bytes:
        self.gets.append((key, offset, length))
        return self.objects[key][offset:offset + length]


def test_parts_of_one_object_that_follow_each_other_come_from_one_get() -> None:
    store = Spans()
    places: list[Place] = [("a", (0, 10)), ("a", (10, 5)), ("a", (20, 30)), ("b", None),
                           ("a", (50, 10)), ("a", (40, 10)), ("b", None)]

    bodies = list(part_bodies(store, places, 4))  # type: ignore[arg-type]  # reads only

    assert bodies == [store.objects["a"][0:10], store.objects["a"][10:15], store.objects["a"][20:50],
                      b"whole-object", store.objects["a"][50:60], store.objects["a"][40:50],
                      b"whole-object"]
    # a gap is read along (bytes a losing attempt left); a span before the last one read starts a GET
    assert store.gets == [("a", 0, 50), ("b", None), ("a", 50, 10), ("a", 40, 10), ("b", None)]


def test_a_get_of_parts_stops_at_its_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settled, "SPAN_READ_BYTES", 25)
    store = Spans()

    bodies = list(part_bodies(store, [("a", (n, 10)) for n in range(0, 60, 10)], 4))  # type: ignore[arg-type]

    assert b"".join(bodies) == store.objects["a"][:60]
    assert store.gets == [("a", 0, 20), ("a", 20, 20), ("a", 40, 20)]


def test_the_reads_run_in_threads_named_for_them() -> None:
    # the bench tells the main process's CPU by thread name: part reads apart from uploads
    names: set[str] = set()

    def read(key: str) -> bytes:
        names.add(threading.current_thread().name.rsplit("_", 1)[0])
        return key.encode()

    assert list(read_ahead(read, ["a", "b", "c"], depth=2)) == [b"a", b"b", b"c"]
    assert names == {"part-reads"}


def test_a_basic_invocation_s_ten_parts_come_from_one_get() -> None:
    # ten 500-row parts of ~630 KB in one object (a basic invocation's): one GET, not four
    store = Spans()
    size = 630_000
    store.objects["a"] = bytes(range(256)) * (10 * size // 256 + 1)

    bodies = list(part_bodies(store, [("a", (n * size, size)) for n in range(10)]))  # type: ignore[arg-type]

    assert b"".join(bodies) == store.objects["a"][:10 * size]
    assert store.gets == [("a", 0, 10 * size)]


def test_reads_ahead_hold_at_most_their_byte_budget() -> None:
    # big spans are read fewer at a time: the bytes in flight stay within the budget (a read
    # larger than it goes alone)
    reads = Reads()
    sizes = {"a": 40, "b": 40, "c": 40, "d": 100, "e": 10, "f": 10}

    bodies = list(read_ahead(reads.read, list(sizes), depth=16, weigh=sizes.__getitem__, budget=90))

    assert bodies == [key.encode() for key in sizes]
    assert reads.most_at_once <= 2
