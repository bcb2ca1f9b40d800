"""The split's chunk messages: each row's JSON written once from its cells, with no model and no
canonical record a row, and every body the text the message model writes of the same rows (the
work function parses them as before)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.domain import records
from chalicelib.domain.chunking import TOO_LARGE
from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.domain.messages import ChunkMessage, ChunkRow
from chalicelib.domain.models import Mode
from chalicelib.domain.options import BatchOptions
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import HEADER, leads
from tests.helpers import create_batch, deliver, take_messages

# Cells the JSON must escape or carry as they are: quotes, backslashes, control characters, a
# line end inside a quoted cell, characters of two to four UTF-8 bytes, a line separator.
ODD = ['say "hi"', "back\\slash", "tab\there", "new\nline", "\x01\x1f", "é李😀", "\u2028", "=1+1"]


def _file() -> tuple[bytes, list[list[str]]]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    rows: list[list[str]] = []
    for i in range(130):
        email = f"person{i}@example.com" if i % 3 else ""
        phone = "+1 202 555 0100" if i % 5 == 0 else " "
        rows.append([f"L{i}", email, phone, "US", ODD[i % len(ODD)] * (i % 4)])
    rows[7] = ["", " ", "", "", ""]  # a blank line as Excel writes one
    rows[40] = ["L40", "big@example.com", "", "US", "y" * 70_000]  # too large to travel
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode(), rows


def test_each_chunk_body_is_the_model_s_text_and_no_row_needs_a_model(
        ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a file of odd cells, a blank line, rows without an email or phone and one too large
    data, rows = _file()
    tenant = create_tenant(ports, "Acme", 1000)
    made = {"models": 0, "records": 0}
    model_init, record = ChunkRow.__init__, records.canonical_record

    def counted_init(self: ChunkRow, **values: Any) -> None:
        made["models"] += 1
        model_init(self, **values)

    def counted_record(values: list[str], fields: dict[str, int]) -> CanonicalRecord:
        made["records"] += 1
        return record(values, fields)

    monkeypatch.setattr(ChunkRow, "__init__", counted_init)
    monkeypatch.setattr(records, "canonical_record", counted_record)
    create_batch(ports, tenant.tenant_id, data)

    # WHEN the file is split
    deliver(ports, (topology.INGEST,))

    # THEN no row was made a model or a canonical record on the way
    assert made == {"models": 0, "records": 0}
    bodies = take_messages(ports, topology.work_queue(Mode.BASIC))
    monkeypatch.undo()
    # AND each body is exactly what the message model writes of the rows it carries
    parsed = [ChunkMessage.model_validate_json(body) for body in bodies]
    assert [p.model_dump_json(exclude_none=True) for p in parsed] == bodies
    travelled = sorted((row for p in parsed for row in p.rows or []), key=lambda row: row.i)
    assert [row.i for row in travelled] == list(range(len(rows)))
    # AND every row carries its cells and its reason as before
    assert travelled[7] == ChunkRow(i=7, v=[], skip=records.BLANK_LINE)
    assert travelled[40] == ChunkRow(i=40, v=[], skip=TOO_LARGE)
    for row in travelled:
        if row.i in (7, 40):
            continue
        assert row.v == rows[row.i]
        wanted = None if rows[row.i][1] or rows[row.i][2].strip() else "missing_person_fields"
        assert row.skip == wanted, row.i


def test_a_deduplicating_batch_still_skips_the_second_copy(ports: Ports) -> None:
    # GIVEN a deduplicating batch whose file holds one lead twice (the record is built there)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([HEADER, ["L0", "a@example.com", "", "US", ""], ["L1", "b@example.com", "", "US", ""],
                      ["L2", " A@Example.com ", "", "US", ""]])
    tenant = create_tenant(ports, "Acme", 1000)
    create_batch(ports, tenant.tenant_id, out.getvalue().encode(), options=BatchOptions(dedupe=True))

    # WHEN it is split
    deliver(ports, (topology.INGEST,))

    # THEN the copy travels as a duplicate, the others to be enriched
    (body,) = take_messages(ports, topology.work_queue(Mode.BASIC))
    assert [row.get("skip") for row in json.loads(body)["rows"]] == [None, None, records.DUPLICATE]


def test_a_split_held_back_by_a_full_queue_reads_its_depth_as_the_workers_drain_it(
        ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a queue 20 chunks over its bound, that workers drain at 25 chunks a second
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 5, "max_queued_chunks": 40})
    tenant = create_tenant(ports, "Acme", 1000)
    clock = {"now": 0.0, "reads": 0}

    def depth(name: str) -> int:
        clock["reads"] += 1
        return max(0, round(60 - 25 * clock["now"]))

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    monkeypatch.setattr(ports.queue, "depth", depth)
    monkeypatch.setattr(ports, "clock", dataclasses.replace(ports.clock, sleep=sleep))
    create_batch(ports, tenant.tenant_id, leads(50))  # ten chunks: one window, one wait

    # WHEN the file is split
    deliver(ports, (topology.INGEST,))

    # THEN the split waited about as long as the drain takes and read the depth twice (five
    # reads, one each 0.2 s, before), and sent its chunks
    assert clock["reads"] == 2 and clock["now"] == pytest.approx(0.8)
    assert len(take_messages(ports, topology.work_queue(Mode.BASIC))) == 10
