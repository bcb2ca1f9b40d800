"""Part objects: each row stored once (version 5), and every older layout still read the same."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import replace

import pytest
from pydantic import ValidationError

from chalicelib.domain.chunking import TOO_LARGE
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.parts import (
    part_body,
    part_shape,
    read_part,
    rendered_body,
    rows_body,
    stored_row,
    stored_rows,
)
from chalicelib.domain.rendering import RenderedPart, render_rows, row_json
from chalicelib.services.part_rows import Part
from tests.unit.test_rendering import random_row


def v4_body(rows: Sequence[RowResult], price: int, escape: bool = True) -> bytes:
    """A part object as the release before version 5 stored it: each row's ``RowResult`` line,
    the trailer of its rendering (null for a row that travelled without its cells), then each
    row's rows.jsonl line."""
    carried = [row for row in rows if not (row.error == TOO_LARGE and not row.v)]
    part = render_rows(carried, price, escape)
    by_index = {done.i: done for done in part.rows if done is not None}
    entries = [by_index.get(row.i) for row in rows]
    trailer = {"v": 4, "columns": part.columns, "rows": [None if done is None else done[:-1]
                                                         for done in entries]}
    lines = [row.model_dump_json() for row in rows]
    lines.append('{"rendered":' + json.dumps(trailer, ensure_ascii=False) + "}")
    lines.extend("null" if done is None else done.jsonl for done in entries)
    return "\n".join(lines).encode()


ROWS = [RowResult(i=0, v=["a\u2028b", "x,y"], row_id="r0", status=RowStatus.COMPLETED, matched=True,
                  outputs={"email": {"domain": "example.com"}}, credits=3),
        RowResult(i=1, v=[], row_id="r1", status=RowStatus.SKIPPED, error=TOO_LARGE),
        RowResult(i=2, v=["c"], row_id="r2", status=RowStatus.FAILED, error="vendor_error: 500"),
        RowResult(i=3, v=["d"], row_id="r3", status=RowStatus.PENDING)]


def test_a_part_holds_each_row_once_its_rendering_first() -> None:
    body = part_body(ROWS, price=2)
    lines, rendered = read_part(body)

    carried = render_rows([ROWS[0], ROWS[2], ROWS[3]], 2)
    assert rendered == RenderedPart(carried.columns, [carried.rows[0], None, *carried.rows[1:]])
    first = rendered.rows[0]
    assert first is not None and first.credit_line == "0,r0,3\r\n" and json.loads(first.jsonl)["credits"] == 3
    # each rendered row is its rows.jsonl line; the row too large to travel, its own JSON line
    jsonl = [done.jsonl for done in carried.rows if done is not None]
    assert lines == [jsonl[0], ROWS[1].model_dump_json(), *jsonl[1:]]
    assert body.decode().count('"row_id": "r0"') == 1 and '"row_id":"r0"' not in body.decode()
    carried_only = [ROWS[0], ROWS[2], ROWS[3]]
    assert len(part_body(carried_only, 2)) < 0.8 * len(v4_body(carried_only, 2))
    assert stored_rows(body) == ROWS


def test_a_row_read_back_from_its_rows_jsonl_line_renders_and_costs_as_it_did() -> None:
    rng = random.Random(5)
    for i in range(1500):
        row = random_row(rng, i)
        back = stored_row(render_rows([row], 3).rows[0].jsonl)  # type: ignore[union-attr]

        assert row_json(back, 3) == row_json(row, 3)
        assert render_rows([back], 3) == render_rows([row], 3)


def test_a_part_the_previous_release_stored_is_read_with_its_rendering() -> None:
    rows = [ROWS[0], ROWS[2], ROWS[3]]

    old = read_part(v4_body(rows, 2))

    assert old.rendered == render_rows(rows, 2)
    assert old.lines == [row.model_dump_json() for row in rows]
    assert stored_rows(v4_body(rows, 2)) == rows


def test_a_part_of_rows_only_or_of_an_unknown_rendering_is_read_as_rows() -> None:
    rows = [RowResult(i=0, v=["a"], row_id="r0", status=RowStatus.NOT_FOUND)]
    plain = rows_body(rows)
    other = plain + b"\n" + ('{"rendered":' + json.dumps({"v": 99, "rows": [[0]]}) + "}").encode() + b"\n{}"

    assert read_part(plain) == ([rows[0].model_dump_json()], None)
    assert read_part(other) == ([rows[0].model_dump_json()], None)
    assert stored_rows(other) == stored_rows(plain) == rows


def test_a_reader_of_the_previous_release_fails_on_a_version_5_part_instead_of_missing_rows() -> None:
    lines = part_body(ROWS, price=2).decode().split("\n")

    # the previous release read every line before a '{"rendered":' one as a RowResult: none is
    assert not any(line.startswith('{"rendered":') for line in lines)
    with pytest.raises(ValidationError):
        RowResult.model_validate_json(lines[0])


def test_the_columns_a_worker_stored_are_those_its_shape_works_out() -> None:
    rng = random.Random(11)
    rows = [random_row(rng, i) for i in range(200)] + ROWS
    body, columns = rendered_body(rows, 2)
    rendered = read_part(body).rendered
    assert rendered is not None and rendered.columns == columns
    assert part_shape(rows, 150, columns) == part_shape(rows, 150)
    assert part_shape(rows, len(rows), columns) is None  # a row that travelled without cells


def test_a_part_uses_stored_columns_only_for_the_object_they_were_stored_with() -> None:
    part = Part(list(ROWS), enriched=True, key="k1", stored_columns=("k1", ("email.domain",)))
    assert part.columns() == ("email.domain",)
    assert replace(part, key=None).columns() is None  # re-enriched: its next object is another
    assert replace(part, key="k2").columns() is None
