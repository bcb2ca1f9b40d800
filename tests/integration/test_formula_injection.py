"""Finding 6: no CSV the service writes hands a spreadsheet a formula to run (OWASP's rule).

Cells starting with ``=``, ``+``, ``-``, ``@``, TAB or CR get a leading ``'``, in results.csv
(input cells, the header, derived columns), errors.csv and credits.csv; a cell that is only a
number or a phone number is left as it is; rows.jsonl stays raw; ``escape_formulas: false``
gives raw cells.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from chalicelib.keys import results_key
from tests.api_client import Http
from tests.conftest import Aws
from tests.helpers import reload

PAYLOADS = ["=cmd|' /C calc'!A0", "+HYPERLINK(\"http://evil.example\",\"x\")", "-2+3+cmd|' /C x'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _records() -> list[dict[str, str]]:
    records = []
    for n, payload in enumerate(PAYLOADS):
        records.append({"id": payload, "email": f"p{n}@example.com", "full_name": f"{payload} Smith",
                        "company": payload, "notes": payload, "phone": "+1 415 555 0100",
                        "amount": "-12.50"})
    # Nothing to enrich: skipped, so errors.csv lists it under its given id.
    records.append({"id": "=bad", "email": "", "full_name": "", "company": "", "notes": "-",
                    "phone": "", "amount": ""})
    return records


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _run(http: Http, aws: Aws, **options: object) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    tenant = aws.tenant(1000)
    created = http.post_json("/v1/batches", tenant.api_key, {"records": _records(), **options})
    assert created.status == 202, created.raw
    aws.drain()
    batch = aws.ports.batches.get(tenant.tenant_id, created.json()["batch_id"])
    assert batch is not None and reload(aws.ports, batch).status.value == "completed"
    files = {name: aws.ports.blobs.read(results_key(batch, name))
             for name in ("results.csv", "errors.csv", "credits.csv", "rows.jsonl")}
    rows = [json.loads(line) for line in files.pop("rows.jsonl").decode().splitlines()]
    return files, rows


def _plain_number_or_phone(cell: str) -> bool:
    """A sign, then digits and punctuation only: no letter, so nothing a spreadsheet could call."""
    return re.fullmatch(r"[+-][0-9 ().,+-]*[0-9][0-9 ().,+-]*", cell) is not None


def test_no_csv_cell_starts_a_formula_and_rows_jsonl_stays_raw(aws: Aws, http: Http) -> None:
    files, rows = _run(http, aws)

    live = [(name, cell) for name, data in files.items() for line in _cells(data) for cell in line
            if cell.startswith(TRIGGERS) and not _plain_number_or_phone(cell)]
    assert not live, live
    results = _cells(files["results.csv"])
    header = results[0]
    first = dict(zip(header, results[1], strict=False))
    assert first["id"] == "'=cmd|' /C calc'!A0" and first["row_id"].startswith("'=")
    assert first["phone"] == "+1 415 555 0100" and first["amount"] == "-12.50"  # left as they are
    derived = {name: value for name, value in first.items() if "." in name and value.startswith("'")}
    assert derived, "a derived column (name.first, company.name_clean …) carried a payload"
    assert any(line[1].startswith("'") for line in _cells(files["credits.csv"])[1:])
    assert any(cell.startswith("'=") for line in _cells(files["errors.csv"])[1:] for cell in line)
    assert rows[0]["input"][0] == PAYLOADS[0] and rows[0]["row_id"] == PAYLOADS[0]  # raw


def test_escape_formulas_false_gives_raw_cells(aws: Aws, http: Http) -> None:
    files, _ = _run(http, aws, escape_formulas=False)

    results = _cells(files["results.csv"])
    assert [line[0] for line in results[1:1 + len(PAYLOADS)]] == PAYLOADS
