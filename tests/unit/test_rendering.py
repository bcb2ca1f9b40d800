"""Rows rendered by the workers: the same bytes the csv module writes, carried in the part object."""

from __future__ import annotations

import csv
import io
import json
import random
from typing import Any

import pytest

from chalicelib.domain.chunking import TOO_LARGE
from chalicelib.domain.formulas import neutralize_text
from chalicelib.domain.models import RowResult, RowStatus, part_rows
from chalicelib.domain.rendering import (
    RenderedPart,
    csv_fields,
    csv_line,
    part_body,
    read_part,
    render_row,
    render_rows,
    reorder,
    results_line,
)
from chalicelib.domain.results import enrich_cells, flatten_outputs

# Characters that matter to csv quoting, JSON escaping or line splitting, and some that do not.
ALPHABET = [",", '"', "\r", "\n", " ", "\t", "'", ";", "|", "=", "\u2028", "\x85", "\x0c", "é", "李",
            "a", "Z", "0", "\\", "😀", ""]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))


def _writer_line(fields: list[Any]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow(fields)
    return out.getvalue()


def test_csv_line_writes_what_the_csv_module_writes() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        cells = [_text(rng) for _ in range(rng.randint(2, 8))]
        assert csv_fields(cells) + "\r\n" == _writer_line(cells)
        fields: list[Any] = list(cells)
        fields[0] = rng.choice([fields[0], rng.randint(-5, 500)])  # numbers are fields too
        assert csv_line(fields) == _writer_line(fields)


def _random_row(rng: random.Random, i: int) -> RowResult:
    status = rng.choice(list(RowStatus))
    outputs: dict[str, dict[str, Any]] = {}
    for source in rng.sample(["email", "phone", "name"], rng.randint(0, 3)):
        outputs[source] = {name: rng.choice([_text(rng), None, True, 3, 0.5, ["a,b", "c"], {"k": "\n"}])
                           for name in rng.sample(["a", "b", "c"], rng.randint(1, 3))}
    return RowResult(i=i, v=[_text(rng) for _ in range(rng.randint(0, 5))], row_id=_text(rng),
                     status=status, matched=status is RowStatus.COMPLETED, outputs=outputs,
                     credits=rng.choice([None, 0, 2]), error=rng.choice([None, _text(rng) + ":x"]))


def _results_cells(cells: list[str], width: int, enrich: list[str], flat: dict[str, str],
                   output_columns: list[str]) -> list[str]:
    """What one results.csv line holds: input cells (padded to ``width``), enrich columns, outputs."""
    return [*cells, *[""] * (width - len(cells)), *enrich, *(flat.get(c, "") for c in output_columns)]


@pytest.mark.parametrize("escape", [False, True])
def test_a_results_line_is_the_line_the_csv_module_writes_for_the_same_cells(escape: bool) -> None:
    rng = random.Random(11)
    text = neutralize_text if escape else list
    for i in range(2000):
        row = _random_row(rng, i)
        done, own = render_row(row, price=3, escape=escape)
        columns = sorted(set(own) | set(rng.sample(["x.y", "email.a", "z.z"], rng.randint(0, 2))))
        width = len(row.v) + rng.randint(0, 3)
        flat = {name: text([value])[0] for name, value in flatten_outputs(row.outputs).items()}
        cells = _results_cells(text(row.v), width, text(enrich_cells(row, 3)), flat, columns)
        outputs = (done.outputs if list(own) == columns else reorder(done.outputs, own, columns)) \
            if columns else None
        assert results_line(done.cells, done.inputs, done.enrich, outputs, width) == _writer_line(cells)


def test_the_rendered_rows_ride_at_the_end_of_the_part_object_and_readers_of_rows_skip_them() -> None:
    rows = [RowResult(i=0, v=["a\u2028b", "x,y"], row_id="r0", status=RowStatus.COMPLETED, matched=True,
                      outputs={"email": {"domain": "example.com"}}),
            RowResult(i=1, v=[], row_id="r1", status=RowStatus.SKIPPED, error=TOO_LARGE),
            RowResult(i=2, v=["c"], row_id="r2", status=RowStatus.FAILED, error="vendor_error: 500")]

    body = part_body(rows, price=2)
    lines, rendered = read_part(body)

    assert [RowResult.model_validate_json(line) for line in part_rows(body)] == rows
    assert lines == part_rows(body)
    assert rendered is not None and rendered.rows[1] is None  # travelled without its cells: not rendered
    carried = render_rows([rows[0], rows[2]], 2)
    assert rendered == RenderedPart(carried.columns, [carried.rows[0], None, carried.rows[1]])
    first, third = rendered.rows[0], rendered.rows[2]
    assert first is not None and third is not None
    assert rendered.columns == ("email.domain",) and first.credit_line == "0,r0,2\r\n"
    assert third.error_line == "2,r2,failed,vendor_error: 500\r\n"
    assert third.reason == "vendor_error" and first.reason is None
    assert json.loads(first.jsonl)["input"] == ["a\u2028b", "x,y"]


def test_a_part_without_a_rendering_or_with_another_version_of_it_is_read_as_rows_only() -> None:
    rows = [RowResult(i=0, v=["a"], row_id="r0", status=RowStatus.NOT_FOUND)]
    plain = "\n".join(row.model_dump_json() for row in rows).encode()
    other = plain + b"\n" + ('{"rendered":' + json.dumps({"v": 99, "rows": [[0]]}) + "}").encode() + b"\n{}"

    assert read_part(plain) == ([rows[0].model_dump_json()], None)
    assert read_part(other) == ([rows[0].model_dump_json()], None)
    assert part_rows(other) == [rows[0].model_dump_json()]
