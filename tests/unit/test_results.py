"""results.csv and credits.csv: input cells untouched, short rows padded, outputs flattened."""

from __future__ import annotations

import csv
import io
from typing import Any

from chalicelib.domain.fields import csv_line
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.rendering import charge_line, render_row, reorder, results_line
from chalicelib.domain.results import CREDITS_COLUMNS, ENRICH_COLUMNS, input_header, results_header


def row(i: int, v: list[str], status: RowStatus, outputs: dict[str, dict[str, Any]] | None = None,
        error: str | None = None) -> RowResult:
    return RowResult(i=i, v=v, row_id=f"R{i}", status=status, matched=status is RowStatus.COMPLETED,
                     outputs=outputs or {}, error=error)


def results(header: list[str], columns: list[str], rows: list[RowResult], price: int = 1,
            escape: bool = True) -> list[list[str]]:
    """results.csv as finalize assembles it from rendered rows, read back with the csv module."""
    text = csv_line(results_header(header, columns))
    for r in rows:
        done, own = render_row(r, price, escape)
        outputs = reorder(done.outputs, own, columns) if columns else None
        text += results_line(done.cells, done.inputs, done.enrich, outputs, len(header))
    return list(csv.reader(io.StringIO(text, newline="")))


def credits(rows: list[RowResult], price: int, entry: str = "charge#b#000000#000") -> list[list[str]]:
    """credits.csv as finalize writes it: one line per charge, naming its ledger entry."""
    text = csv_line(CREDITS_COLUMNS) + "".join(
        charge_line(done.credit_line, entry) for done in (render_row(r, price)[0] for r in rows)
        if done.credit_line)
    return list(csv.reader(io.StringIO(text, newline="")))


def test_input_cells_are_written_back_untouched_but_for_formulas() -> None:
    awkward = ["  padded  ", 'He said "hi"', "a, b; c|d\te", "line\nbreak", "=1+2", "Zoë 李", "",
               "-12.5", "+1 415 555 0100", "@SUM(A1)", "\t=1"]
    header = [f"c{n}" for n in range(len(awkward))]

    table = results(header, [], [row(0, awkward, RowStatus.NOT_FOUND)])
    raw = results(header, [], [row(0, awkward, RowStatus.NOT_FOUND)], escape=False)

    assert table[0] == [*header, *ENRICH_COLUMNS]
    neutralized = {"=1+2": "'=1+2", "@SUM(A1)": "'@SUM(A1)", "\t=1": "'\t=1"}
    assert table[1][: len(awkward)] == [neutralized.get(cell, cell) for cell in awkward]
    assert raw[1][: len(awkward)] == awkward


def test_enrich_columns_follow_the_input_columns() -> None:
    table = results(["email"], [], [
        row(0, ["a@example.com"], RowStatus.COMPLETED),
        row(1, ["nobody@@bad"], RowStatus.FAILED, error="invalid_email"),
        row(2, [""], RowStatus.SKIPPED, error="no_email_or_phone"),
    ], price=3)

    assert table == [
        ["email", "row_index", "row_id", "enrich_status", "enrich_matched", "enrich_credits",
         "enrich_error"],
        ["a@example.com", "0", "R0", "completed", "true", "3", ""],
        ["nobody@@bad", "1", "R1", "failed", "false", "0", "invalid_email"],
        ["", "2", "R2", "skipped", "false", "0", "no_email_or_phone"],
    ]


def test_short_rows_are_padded_so_columns_stay_aligned() -> None:
    table = results(["a", "b", "c"], ["email.valid"], [
        row(0, ["1"], RowStatus.COMPLETED, {"email": {"valid": True}}),
        row(1, [], RowStatus.SKIPPED),
    ])

    assert all(len(line) == len(table[0]) for line in table)
    assert table[1][:4] == ["1", "", "", "0"]
    assert table[1][-1] == "true"
    assert table[2][:4] == ["", "", "", "1"]


def test_outputs_are_flattened_to_dotted_columns_in_the_given_order() -> None:
    columns = ["email.domain", "email.free", "phone.e164", "phone.timezones"]
    table = results(["in"], columns, [
        row(0, ["x"], RowStatus.COMPLETED, {
            "email": {"domain": "example.com", "free": False},
            "phone": {"e164": "+12025550100", "timezones": ["America/New_York"]},
        }),
        row(1, ["y"], RowStatus.COMPLETED, {"phone": {"e164": "+442071838750", "timezones": None}}),
    ])

    assert table[0][-4:] == columns
    assert table[1][-4:] == ["example.com", "false", "+12025550100", '["America/New_York"]']
    assert table[2][-4:] == ["", "", "+442071838750", ""]


def test_credits_are_charged_only_for_completed_rows() -> None:
    rows = [
        row(0, ["a"], RowStatus.COMPLETED),
        row(1, ["b"], RowStatus.NOT_FOUND),
        row(2, ["c"], RowStatus.FAILED),
        row(3, ["d"], RowStatus.SKIPPED),
        row(4, ["e"], RowStatus.PARKED),
        row(5, ["f"], RowStatus.COMPLETED),
    ]

    table = results(["in"], [], rows, price=3)

    assert [line[ENRICH_COLUMNS.index("enrich_credits") + 1] for line in table[1:]] == [
        "3", "0", "0", "0", "0", "3",
    ]
    assert credits(rows, price=3, entry="charge#b#000001#002") == [
        ["row_index", "row_id", "credits", "ledger_entry"],
        ["0", "R0", "3", "charge#b#000001#002"], ["5", "R5", "3", "charge#b#000001#002"]]


def test_a_file_with_nothing_charged_has_a_credits_header_only() -> None:
    assert credits([row(0, ["a"], RowStatus.NOT_FOUND)], price=1) == [
        ["row_index", "row_id", "credits", "ledger_entry"]]


def test_a_row_charged_twice_shows_its_total_and_each_charge_has_a_line() -> None:
    """Issue 11 #5: a refreshed row was charged by two parts; credits.csv lists both charges."""
    again = row(0, ["a"], RowStatus.COMPLETED)

    done, _ = render_row(again, price=2, charged=4)

    assert done.credits == 4 and done.enrich.split(",")[4] == "4"
    assert '"credits": 4' in done.jsonl
    assert [charge_line(done.credit_line, f"charge#b#000000#00{part}") for part in (0, 1)] == [
        "0,R0,2,charge#b#000000#000\r\n", "0,R0,2,charge#b#000000#001\r\n"]


def test_input_header_adds_extra_columns_for_wide_rows() -> None:
    assert input_header(["a", "b"], 2) == ["a", "b"]
    assert input_header(["a", "b"], 1) == ["a", "b"]
    assert input_header(["a", "b"], 5) == ["a", "b", "extra_1", "extra_2", "extra_3"]


def test_wide_rows_fill_their_extra_columns() -> None:
    header = input_header(["a", "b"], 4)

    table = results(header, [], [row(0, ["1", "2", "3", "4"], RowStatus.NOT_FOUND),
                                 row(1, ["5"], RowStatus.NOT_FOUND)])

    assert table[0][:4] == ["a", "b", "extra_1", "extra_2"]
    assert table[1][:5] == ["1", "2", "3", "4", "0"]
    assert table[2][:5] == ["5", "", "", "", "1"]
