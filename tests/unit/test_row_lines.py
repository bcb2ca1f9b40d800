"""A row's rows.jsonl line written from its pieces (``domain/row_lines.py``) is the line
``json.dumps(row_json(row), ensure_ascii=False)`` writes, byte for byte, whatever the row holds."""

from __future__ import annotations

import json
import random

from chalicelib.domain import row_lines
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.rendering import render_rows, row_json
from chalicelib.domain.results import flatten_outputs
from chalicelib.domain.row_lines import jsonl_line
from tests.unit.test_rendering import _text, random_row

# What a formula, a quote, a line break, unicode, an escape or a surrogate does in a cell.
AWKWARD = ["=HYPERLINK(\"http://x\")", "+1 415 555 0100", "-2", "@SUM(A1)", 'say "hi"', "a\r\nb",
           "\u2028", "\x85", "李", "😀", "\\", "\t", "\x00", "\ud800", "", "null", "1e5"]


def _dumps(row: RowResult, price: int, charged: int | None = None) -> str:
    return json.dumps(row_json(row, price, charged), ensure_ascii=False)


def test_random_rows_give_the_same_line() -> None:
    rng = random.Random(19)
    for i in range(3000):
        row = random_row(rng, i)
        if rng.random() < 0.3:
            row.lookups = {_text(rng): rng.choice(["called", "cache_hit", "duplicate"])}
        row.attributes = {name: rng.choice(["RUN", "NOT_FOUND", "ERROR", _text(rng)])
                          for name in rng.sample(["email", "phone", "name", "company"], rng.randint(0, 4))}
        row.found = rng.sample(["email", "phone", "name", "company", "waterfall"], rng.randint(0, 3))
        charged = rng.choice([None, 0, 3])
        assert jsonl_line(row, 2, charged) == _dumps(row, 2, charged)


def test_formulas_quotes_line_breaks_and_unicode_are_written_as_json_writes_them() -> None:
    for n, cell in enumerate(AWKWARD):
        row = RowResult(i=n, v=[cell, cell + ",x"], row_id=cell, status=RowStatus.FAILED, error=cell,
                        outputs={"email": {cell: cell, "n": 1.5, "z": [cell, None, False], "d": {cell: 2}}},
                        attributes={"email": cell}, found=[cell], lookups={cell: cell})
        assert jsonl_line(row, 1) == _dumps(row, 1)
        assert render_rows([row], 1).rows[0].jsonl == _dumps(row, 1)  # type: ignore[union-attr]


def test_the_remembered_pieces_stay_bounded() -> None:
    row_lines._ATTRIBUTES.clear()
    for n in range(row_lines.MEMO_PIECES + 10):
        row = RowResult(i=n, v=[], row_id="r", status=RowStatus.COMPLETED, attributes={"email": str(n)})
        assert jsonl_line(row, 1) == _dumps(row, 1)
    assert len(row_lines._ATTRIBUTES) <= row_lines.MEMO_PIECES


def test_a_list_or_dict_cell_is_written_as_json_dumps_writes_it() -> None:
    for cell in AWKWARD:
        for value in ([cell, 1, 2.5, None, True], {cell: [cell], "n": -0.0}, [], {}, cell, 7, None):
            assert row_lines.json_value(value) == json.dumps(value, ensure_ascii=False)
            if isinstance(value, list | dict):
                assert flatten_outputs({"phone": {"time_zones": value}}) == {
                    "phone.time_zones": json.dumps(value, ensure_ascii=False)}
