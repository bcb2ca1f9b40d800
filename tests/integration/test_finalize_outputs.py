"""finalize writes the same five files, byte for byte, as the reference run recorded in finalize_golden/.

The batches are built directly (input file, part objects, chunk records) so that every kind of row
finalize meets is there: matched, not found, failed and skipped rows, a reprocess part replacing
rows of an earlier part, a cancelled batch with rows that never settled, rows wider and narrower
than the header, cells quoting needs, values in several scripts and outputs of every JSON type.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import topology
from chalicelib.adapters.dynamo import to_dynamo
from chalicelib.clients import get_clients
from chalicelib.domain.models import Batch, BatchStatus, Mode, RowResult, RowStatus
from chalicelib.keys import input_key, part_key, results_key
from chalicelib.services.finalizing import finalize_batch
from chalicelib.services.settled import settled_rows
from tests.conftest import Aws

GOLDEN = Path(__file__).parent / "finalize_golden"
FILES = {"results.csv": "text/csv", "credits.csv": "text/csv", "rows.jsonl": "application/x-ndjson",
         "errors.csv": "text/csv", "summary.json": "application/json"}
TENANT = "t_finalize"
OUTPUTS: dict[str, dict[str, Any]] = {
    "email": {"domain": "example.com", "valid": True, "score": 0.75, "mx": None},
    "name": {"parts": ["Zoë", "Müller"], "detail": {"given": "Zoë", "rank": 2}, "count": 12},
}
UNICODE_OUTPUTS: dict[str, dict[str, Any]] = {"place": {"city": "東京", "country": "JP", "ok": False}}


@dataclass(frozen=True)
class Part:
    """One stored part: its rows as the worker wrote them and how many of them settled."""

    rows: list[RowResult]
    settled: int


def _row(i: int, status: RowStatus, **fields: Any) -> RowResult:
    return RowResult(i=i, v=[f"cells of {i}"], row_id=f"r{i:04d}", status=status,
                     matched=status is RowStatus.COMPLETED, **fields)


CANCELLED_INPUT = (
    "name,email,city\r\n"
    "Ada Lovelace,ada@example.com,London\r\n"
    "Zoë Müller,zoe@example.de,Zürich\r\n"
    '"Smith, John","said ""hi""",New York\r\n'
    "Extra,extra@example.com,Paris,one more,and another\r\n"
    "李小龍,lee@example.cn,東京\r\n"
    "Short\r\n"
    '"line\nbreak",=1+2,Oslo\r\n'
    ",,\r\n"
    "Émile,emile@example.fr,Montréal\r\n"
    "Last,last@example.com,Lima\r\n"
)
CANCELLED_CHUNKS = [
    [Part([_row(0, RowStatus.COMPLETED, outputs=OUTPUTS, found=["email", "name"]),
           _row(1, RowStatus.FAILED, error="vendor_error: timeout after 10s"),
           _row(2, RowStatus.NOT_FOUND, outputs={"email": {"valid": False}}),
           _row(3, RowStatus.SKIPPED, error="duplicate")], 4),
     Part([_row(1, RowStatus.COMPLETED, outputs=UNICODE_OUTPUTS, credits=3, found=["place"]),
           _row(2, RowStatus.FAILED, error="vendor_error:500")], 2)],
    [Part([_row(4, RowStatus.COMPLETED, outputs=UNICODE_OUTPUTS, attributes={"source": "crm"}),
           _row(5, RowStatus.SKIPPED, error="missing_person_fields"),
           _row(6, RowStatus.PARKED), _row(7, RowStatus.PARKED)], 2)],
    [Part([_row(8, RowStatus.PARKED), _row(9, RowStatus.PARKED)], 0)],
]
COMPLETED_INPUT = (
    "L1,a@example.com,US\r\n"
    "L2,b@example.com,US,tail one\r\n"
    "L3,ç@example.com\r\n"
    "L4,d@example.com,DE,x,y,z\r\n"
    "L5,e@example.com,FR\r\n"
)
COMPLETED_CHUNKS = [
    [Part([_row(0, RowStatus.COMPLETED, outputs=OUTPUTS),
           _row(1, RowStatus.NOT_FOUND),
           _row(2, RowStatus.FAILED, error="bad_input")], 3),
     Part([_row(0, RowStatus.COMPLETED, outputs=UNICODE_OUTPUTS, credits=0)], 1),
     Part([_row(1, RowStatus.COMPLETED, outputs=OUTPUTS, credits=5)], 1)],
    [Part([_row(3, RowStatus.SKIPPED, error="row_too_large"),
           _row(4, RowStatus.COMPLETED, outputs={"email": {"domain": "example.com"}})], 2)],
]
SCENARIOS = {
    "cancelled": (BatchStatus.CANCELLED, True, CANCELLED_INPUT, CANCELLED_CHUNKS),
    "completed": (BatchStatus.PROCESSING, False, COMPLETED_INPUT, COMPLETED_CHUNKS),
}
FIELDS = {"cancelled": {"full_name": 0, "email": 1, "city": 2}, "completed": {"id": 0, "email": 1}}


def _store(aws: Aws, batch_id: str, chunks: list[list[Part]]) -> None:
    """Store every part object and the chunk records that point at them."""
    db = get_clients().dynamodb
    table = aws.ports.settings.name(topology.CHUNKS.name)
    for chunk, parts in enumerate(chunks):
        records = []
        for number, part in enumerate(parts):
            key = part_key(batch_id, chunk, number, "a1")
            aws.ports.blobs.put(key, "\n".join(r.model_dump_json() for r in part.rows).encode())
            records.append({"key": key, "start": 0, "settled": part.settled})
        done = all(p.settled == len(p.rows) for p in parts)
        item = {"batch_id": batch_id, "chunk": chunk, "next_part": len(parts), "done": done,
                "parts": records}
        db.put_item(TableName=table, Item=to_dynamo(item))


def _batch(aws: Aws, scenario: str) -> Batch:
    """A batch of that scenario, due to finalize."""
    status, has_header, text, chunks = SCENARIOS[scenario]
    batch_id = f"b_{scenario}"
    uploaded = input_key(TENANT, batch_id)
    aws.ports.blobs.put(uploaded, text.encode())
    _store(aws, batch_id, chunks)
    batch = Batch(tenant_id=TENANT, batch_id=batch_id, name=f"Lëads {scenario}", status=status,
                  mode=Mode.BASIC, entity_type="person", price=2, created_at="2025-01-01T00:00:00.000+00:00",
                  updated_at="2025-01-01T00:00:00.000+00:00", input_key=uploaded,
                  metadata={"team": "Zoë", "n": 1}, has_header=has_header, fields=FIELDS[scenario],
                  chunks_total=len(chunks), chunks_done=len(chunks))
    aws.ports.batches.put_new(batch)
    return batch


def finalized_files(aws: Aws, scenario: str) -> dict[str, bytes]:
    """Finalize a scenario's batch; its five files (each checked for its content type)."""
    batch = _batch(aws, scenario)
    assert finalize_batch(aws.ports, TENANT, batch.batch_id)
    files = {}
    for name, content_type in FILES.items():
        key = results_key(batch, name)
        assert aws.ports.blobs.head(key)["ContentType"] == content_type
        files[name] = aws.ports.blobs.read(key)
    return files


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_finalize_writes_the_recorded_files_byte_for_byte(aws: Aws, scenario: str) -> None:
    files = finalized_files(aws, scenario)

    for name, data in files.items():
        assert data == (GOLDEN / scenario / name).read_bytes(), f"{scenario}/{name} differs"


def test_finalize_is_not_due_twice(aws: Aws) -> None:
    batch = _batch(aws, "completed")
    assert finalize_batch(aws.ports, TENANT, batch.batch_id)

    assert not finalize_batch(aws.ports, TENANT, batch.batch_id)


def test_settled_rows_are_the_latest_version_of_each_settled_row(aws: Aws) -> None:
    batch = _batch(aws, "cancelled")

    rows = list(settled_rows(aws.ports, batch))

    assert [(r.i, r.status.value, r.error) for r in rows] == [
        (0, "completed", None), (1, "completed", None), (2, "failed", "vendor_error:500"),
        (3, "skipped", "duplicate"), (4, "completed", None), (5, "skipped", "missing_person_fields")]
    assert rows[1].credits == 3 and rows[0].v == ["cells of 0"]
