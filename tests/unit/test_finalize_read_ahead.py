"""finalize reads the part objects a few ahead, in threads: in order, bounded, errors surfacing."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.services.settled import read_ahead


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
