"""Rows rendered by the workers: the same bytes the csv module writes, carried in the part object."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from chalicelib.domain import fields
from chalicelib.domain.fields import csv_fields, csv_line, text_fields
from chalicelib.domain.formulas import neutralize_text
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.rendering import render_row, render_rows, reorder, results_line
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


def random_row(rng: random.Random, i: int) -> RowResult:
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
        row = random_row(rng, i)
        done, own = render_row(row, price=3, escape=escape)
        columns = sorted(set(own) | set(rng.sample(["x.y", "email.a", "z.z"], rng.randint(0, 2))))
        width = len(row.v) + rng.randint(0, 3)
        flat = {name: text([value])[0] for name, value in flatten_outputs(row.outputs).items()}
        cells = _results_cells(text(row.v), width, text(enrich_cells(row, 3)), flat, columns)
        outputs = (done.outputs if list(own) == columns else reorder(done.outputs, own, columns)) \
            if columns else None
        assert results_line(done.cells, done.inputs, done.enrich, outputs, width) == _writer_line(cells)


def _colliding_outputs(rng: random.Random) -> dict[str, dict[str, Any]]:
    """Outputs whose flattened names may collide ("a.b" + "c" and "a" + "b.c")."""
    sources = rng.sample(["a", "a.b", "email", "phone"], rng.randint(0, 4))
    return {source: {name: rng.choice([_text(rng), None, False, 7, ["x"]])
                     for name in rng.sample(["c", "b.c", "valid", "e164"], rng.randint(1, 3))}
            for source in sources}


@pytest.mark.parametrize("escape", [False, True])
def test_a_part_s_rows_render_their_outputs_in_the_part_s_columns_as_row_by_row(escape: bool) -> None:
    rng = random.Random(17)
    text = neutralize_text if escape else list
    for _ in range(150):
        rows = [random_row(rng, i) for i in range(rng.randint(1, 12))]
        for row in rows[::2]:
            row.outputs = _colliding_outputs(rng)

        rendered = render_rows(rows, 2, escape)

        flats = [flatten_outputs(row.outputs) for row in rows]
        assert rendered.columns == tuple(sorted({name for flat in flats for name in flat}))
        for row, flat, done in zip(rows, flats, rendered.rows, strict=True):
            alone, _ = render_row(row, 2, escape)
            assert done is not None and done._replace(outputs="") == alone._replace(outputs="")
            assert done.outputs == csv_fields(text([flat.get(name, "") for name in rendered.columns]))


def test_cells_are_neutralized_and_quoted_the_same_whether_remembered_or_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fields, "MEMO_CELLS", 50)  # emptied often along the way
    rng = random.Random(23)
    phone_like = ["+", "-", "1", "4", " ", "(", ")", ".", "=", "@", "\t", "a", ",", '"']
    for _ in range(4000):
        alphabet = rng.choice([ALPHABET, phone_like])
        cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
                 for _ in range(rng.randint(0, 6))]
        assert text_fields(cells) == csv_fields(neutralize_text(cells))
        assert text_fields(cells) == csv_fields(neutralize_text(cells))  # now remembered


def test_a_rendered_row_s_cost_is_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a part's rows (the rows.jsonl line takes the cost the csv pieces were rendered with)
    from chalicelib.domain import billing, rendering, row_lines

    asked: list[int] = []

    def counted(row: RowResult, price: int) -> int:
        asked.append(row.i)
        return billing.row_cost(row, price)

    monkeypatch.setattr(rendering, "row_cost", counted)
    monkeypatch.setattr(row_lines, "row_cost", counted)
    rng = random.Random(5)
    rows = [random_row(rng, i) for i in range(40)]

    # WHEN the worker renders them
    part = render_rows(rows, 2)

    # THEN each row's cost was asked once (twice before: the csv pieces, then rows.jsonl)
    assert sorted(asked) == list(range(40))
    assert [done.jsonl for done in part.rows if done] == [row_lines.jsonl_line(row, 2) for row in rows]


@pytest.mark.parametrize("names", [(), ("a",), ("b", "a"), ("c", "a", "b")])
def test_a_shape_puts_its_cells_in_the_part_s_columns_whatever_their_number(names: tuple[str, ...]) -> None:
    # GIVEN outputs of one source with 0-3 values, in a part whose columns add one they lack
    from chalicelib.domain.results import output_shape

    outputs = {"s": {name: f"{name}!" for name in names}} if names else {}
    columns = (*sorted(f"s.{name}" for name in names), "t.z")

    # WHEN their cells are put in the part's column order
    cells = output_shape(outputs).cells(outputs, columns)
    no_columns = output_shape(outputs).cells(outputs, ())

    # THEN each column has its value, the column the outputs lack is empty
    assert list(cells) == [f"{name}!" for name in sorted(names)] + [""]
    assert list(no_columns) == []
