"""GET /v1/admin/stats's rows per second: every settled row counted once, in the window it settled
in, with one counter write per window a work invocation settled rows in (not one per part)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.options import BatchOptions
from chalicelib.services.invocation import Invocation
from chalicelib.services.ports import Clock
from chalicelib.services.stats import rows_per_second
from chalicelib.services.working import work_chunk
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import create_batch, take_messages


def _chunks(aws: Aws, rows: int, tenant_id: str) -> list[ChunkMessage]:
    create_batch(aws.ports, tenant_id, leads(rows), f"{rows}.csv", BatchOptions())
    aws.pump(topology.INGEST)
    taken = [ChunkMessage.model_validate_json(b) for b in take_messages(aws.ports, topology.WORK)]
    return sorted(taken, key=lambda m: m.chunk)


def _window(aws: Aws, window: int) -> int:
    held = aws.ports.markers.get(f"stats#rows#{window}")
    return int(held["hits"]) if held else 0


def test_an_invocation_counts_every_settled_row_in_its_window_with_one_write_per_window(
        aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = aws.tenant(10_000)
    chunks = _chunks(aws, 400, tenant.tenant_id)  # four parts of 100 rows
    writes: list[tuple[Any, ...]] = []
    add = aws.ports.markers.add

    def counted_add(*args: Any) -> None:
        writes.append(args)
        add(*args)

    monkeypatch.setattr(aws.ports.markers, "add", counted_add)
    now = [1_000.0]
    monkeypatch.setattr(aws.ports, "clock", Clock(epoch=lambda: now[0], sleep=lambda _: None))
    invocation = Invocation(aws.ports)

    for number, message in enumerate(chunks):
        now[0] = 1_000.0 if number < 3 else 1_012.0  # the fourth part settles in the next window
        assert work_chunk(aws.ports, message, f"a{message.chunk}", invocation) == "settled"
    assert writes == []  # nothing is written per part ...
    invocation.finish()

    assert len([w for w in writes if str(w[0]).startswith("stats#")]) == 2  # ... one write per window
    assert (_window(aws, 100), _window(aws, 101)) == (300, 100)
    now[0] = 1_065.0  # the six whole windows before 106: 100-105
    assert rows_per_second(aws.ports) == round(400 / 60, 2)


def test_a_duplicate_delivery_is_not_counted_again(aws: Aws) -> None:
    tenant = aws.tenant(10_000)
    chunks = _chunks(aws, 200, tenant.tenant_id)
    first = Invocation(aws.ports)
    for message in chunks:
        work_chunk(aws.ports, message, f"a{message.chunk}", first)
    first.finish()
    again = Invocation(aws.ports)

    outcomes = [work_chunk(aws.ports, m, f"b{m.chunk}", again) for m in chunks]
    again.finish()

    assert outcomes == ["duplicate", "duplicate"]
    window = int(aws.ports.clock.epoch() // 10)
    settled = sum(_window(aws, w) for w in range(window - 2, window + 1))
    batch = aws.ports.batches.get(tenant.tenant_id, chunks[0].batch_id)
    assert batch is not None
    assert settled == batch.counts.completed + batch.counts.not_found == 200
