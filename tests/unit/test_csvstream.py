"""The resumable CSV reader gives exactly the rows ``open_csv`` gives, and reading again from any
row's cursor gives the same rest of the file: what a big file's split steps rely on."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import csvstream
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.csvstream import CsvRows, open_rows
from chalicelib.domain.errors import BadInput
from tests.unit.services.test_csv_fuzz import csv_bytes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))


def _both(data: bytes) -> tuple[list[list[str]], list[list[str]], CsvRows] | None:
    try:
        table = open_csv(io.BytesIO(data))
        expected = [table.header, *table.rows]
    except BadInput:
        with pytest.raises(BadInput):
            stream_table, _ = open_rows(io.BytesIO(data))
            list(stream_table.rows)
        return None
    stream_table, reader = open_rows(io.BytesIO(data))
    return expected, [stream_table.header, *stream_table.rows], reader


def _rest(data: bytes, reader: CsvRows, cursor: csvstream.Cursor) -> list[list[str]]:
    again = CsvRows(io.BytesIO(data[cursor.offset:]), reader.codec, reader.delimiter, cursor)
    return [list(row) for row in again]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=csv_bytes, utf16=st.booleans(), block=st.sampled_from([1, 3, 7, 64]))
def test_the_same_rows_as_open_csv_and_the_same_rest_from_every_cursor(
        data: bytes, utf16: bool, block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvstream, "READ_BYTES", block)  # lines cut across reads everywhere
    if utf16:
        data = b"\xff\xfe" + data.decode("utf-8", "replace").encode("utf-16-le")
    both = _both(data)
    if both is None:
        return
    expected, got, reader = both
    assert [list(row) for row in got] == expected
    rows = [row for row in got[1:] if isinstance(row, csvstream.Row)]
    for n, row in enumerate(rows):
        assert _rest(data, reader, row.at) == [list(r) for r in rows[n:]]
    assert reader.end is not None and _rest(data, reader, reader.end) == []


def test_blank_lines_between_records_resume_in_the_middle() -> None:
    data = b"email,name\r\na@x.com,A\r\n\r\n,,\r\n\r\nb@x.com,B\r\n\r\n"
    table, reader = open_rows(io.BytesIO(data))
    rows = list(table.rows)
    assert [list(r) for r in rows] == [["a@x.com", "A"], [], [], [], ["b@x.com", "B"]]
    second_blank = rows[2]
    assert isinstance(second_blank, csvstream.Row) and second_blank.at.blanks == 2
    assert _rest(data, reader, second_blank.at) == [[], [], ["b@x.com", "B"]]


def test_a_quoted_cell_over_several_lines_is_one_row_and_the_next_starts_after_it() -> None:
    data = b'email,note\n"a@x.com","line one\nline two\r\nthree"\nb@x.com,ok\n'
    table, _ = open_rows(io.BytesIO(data))
    rows = list(table.rows)
    assert [list(r) for r in rows] == [["a@x.com", "line one\nline two\r\nthree"], ["b@x.com", "ok"]]
    last = rows[1]
    assert isinstance(last, csvstream.Row)
    assert data[last.at.offset:] == b"b@x.com,ok\n" and last.at.line == 4


def test_a_line_without_end_longer_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvstream, "MAX_LINE_BYTES", 1000)
    monkeypatch.setattr(csvstream, "READ_BYTES", 100)
    table, _ = open_rows(io.BytesIO(b"email\n" + b"x" * 5000))
    with pytest.raises(BadInput, match="longer than"):
        list(table.rows)
