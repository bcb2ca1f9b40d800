"""A row's deadline across its sources, and rows started in order until the invocation stops them."""

from __future__ import annotations

import threading
import time

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, EnricherResult
from chalicelib.domain.enrich.pipeline import Pipeline, built_in_pipeline
from chalicelib.domain.enrich.waterfall import PricedSource
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import RowStatus

FIELDS = {"email": 0}


class _Slow:
    """A vendor that knows everyone, slowly for the addresses in ``slow``."""

    name = "vendor"

    def __init__(self, slow: set[str], seconds: float) -> None:
        self._slow = slow
        self._seconds = seconds
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        with self._lock:
            self.asked.append(record["email"])
        if record["email"] in self._slow:
            time.sleep(self._seconds)
        return EnricherResult(AttributeStatus.RUN, matched=True, outputs={"title": "CTO"})


def _rows(n: int) -> list[ChunkRow]:
    return [ChunkRow(i=i, v=[f"p{i}@example.com"]) for i in range(n)]


def _pipeline(source: _Slow, row_seconds: float | None = None, in_flight: int = 4) -> Pipeline:
    step = PricedSource(source, price=5, fields=frozenset({"title"}), max_in_flight=in_flight)
    return built_in_pipeline("person", "US").with_waterfall([step], 3, row_seconds)


def test_a_row_past_its_deadline_fails_alone_and_costs_nothing() -> None:
    source = _Slow({"p1@example.com"}, seconds=0.5)

    rows = _pipeline(source, row_seconds=0.2).enrich_rows(_rows(3), FIELDS)

    late = rows[1]
    assert late.status is RowStatus.FAILED and not late.matched
    assert late.error is not None and "timeout: the row took more than 0.2 s" in late.error
    assert "waterfall" not in late.outputs  # nothing handed out for a row that is not charged
    assert [rows[0].status, rows[2].status] == [RowStatus.COMPLETED, RowStatus.COMPLETED]
    assert rows[0].credits == rows[2].credits == 5


def test_without_a_deadline_a_slow_row_is_waited_for() -> None:
    source = _Slow({"p1@example.com"}, seconds=0.3)

    rows = _pipeline(source).enrich_rows(_rows(2), FIELDS)

    assert [row.status for row in rows] == [RowStatus.COMPLETED, RowStatus.COMPLETED]


def test_rows_start_in_order_until_told_to_stop_and_every_started_row_finishes() -> None:
    source = _Slow({f"p{i}@example.com" for i in range(0, 20, 3)}, seconds=0.05)
    asked = {"n": 0}

    def stop() -> bool:  # the sixth row may not start
        asked["n"] += 1
        return asked["n"] > 5

    rows = _pipeline(source, in_flight=4).enrich_until(_rows(20), FIELDS, stop)

    assert [row.i for row in rows] == [0, 1, 2, 3, 4]  # a prefix, whatever the threads did
    assert all(row.status is RowStatus.COMPLETED for row in rows)
    assert sorted(source.asked) == sorted(f"p{i}@example.com" for i in range(5))
