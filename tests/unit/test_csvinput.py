"""open_csv on the files customers really send: encodings, delimiters, quoting, line endings."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.errors import BadInput


def read(data: bytes) -> tuple[list[str], list[list[str]]]:
    table = open_csv(io.BytesIO(data))
    return table.header, list(table.rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_supported_delimiter_is_detected(delimiter: str) -> None:
    data = delimiter.join(["id", "Email Address", "Phone"]) + "\r\n"
    data += delimiter.join(["L1", "ada@example.com", "+1 202 555 0100"]) + "\r\n"

    table = open_csv(io.BytesIO(data.encode()))

    assert table.delimiter == delimiter
    assert table.header == ["id", "Email Address", "Phone"]
    assert list(table.rows) == [["L1", "ada@example.com", "+1 202 555 0100"]]


def test_semicolon_file_with_decimal_commas_in_the_data() -> None:
    header, rows = read(b"id;amount;email\r\n1;3,50;a@example.com\r\n2;1,25;b@example.com\r\n")

    assert header == ["id", "amount", "email"]
    assert rows == [["1", "3,50", "a@example.com"], ["2", "1,25", "b@example.com"]]


def test_utf8_bom_is_not_part_of_the_first_column_name() -> None:
    table = open_csv(io.BytesIO("\ufeffEmail,Name\r\nzoë@example.com,Zoë\r\n".encode()))

    assert table.header == ["Email", "Name"]
    assert list(table.rows) == [["zoë@example.com", "Zoë"]]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(encoding: str) -> None:
    text = "Name\tCity\r\nJürgen Müller\tKöln\r\n李雷\t北京\r\n"
    data = text.encode(encoding)
    if encoding != "utf-16":  # the -le/-be codecs write no BOM: add the one Excel writes
        data = ("\ufeff" + text).encode(encoding)

    header, rows = read(data)

    assert header == ["Name", "City"]
    assert rows == [["Jürgen Müller", "Köln"], ["李雷", "北京"]]


def test_cp1252_bytes_decode_to_the_right_characters() -> None:
    data = "Name;Note\r\nMüller;\u201cquoted\u201d \u2013 5 \u20ac\r\nCafé Zoë;naïve\r\n".encode("cp1252")

    table = open_csv(io.BytesIO(data))

    assert table.header == ["Name", "Note"]
    assert list(table.rows) == [["Müller", "\u201cquoted\u201d \u2013 5 \u20ac"], ["Café Zoë", "naïve"]]


def test_cp1252_name_after_the_first_64_kib_is_not_mangled() -> None:
    """A long export that is plain ASCII for its first 64 KiB and has an accented name later on."""
    data = b"name,email\r\n" + b"Smith,smith@example.com\r\n" * 4_000
    data += "Müller,m@example.de\r\n".encode("cp1252")

    header, rows = read(data)

    assert header == ["name", "email"]
    assert len(rows) == 4_001
    assert rows[-1] == ["Müller", "m@example.de"]


def test_utf8_character_cut_by_the_sample_boundary_is_still_utf8() -> None:
    # 'é' is two bytes in UTF-8; put its first byte at the very end of the 64 KiB sample.
    prefix = b"name\n" + b"a" * (64 * 1024 - len(b"name\n") - 1)
    data = prefix + "é\n".encode()

    header, rows = read(data)

    assert header == ["name"]
    assert rows[-1][0].endswith("é")


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_endings(newline: str) -> None:
    data = newline.join(["a,b", "1,2", "3,4", ""]).encode()

    assert read(data) == (["a", "b"], [["1", "2"], ["3", "4"]])


def test_quoted_fields_keep_delimiters_quotes_and_newlines() -> None:
    data = b'id,note,email\r\n1,"Smith, John","a@example.com"\r\n2,"He said ""hi""",b@x.com\r\n' \
           b'3,"line one\r\nline two\nline three",c@x.com\r\n'

    header, rows = read(data)

    assert header == ["id", "note", "email"]
    assert rows == [
        ["1", "Smith, John", "a@example.com"],
        ["2", 'He said "hi"', "b@x.com"],
        ["3", "line one\r\nline two\nline three", "c@x.com"],
    ]


def test_blank_lines_between_rows_keep_their_place_and_trailing_ones_are_no_rows() -> None:
    """Issue 11 #3: a row's position in the file is its row_index, blank lines counted."""
    data = b"a,b\r\n\r\n1,2\r\n   \r\n,\r\n\r\n3,4\r\n\r\n"

    assert read(data) == (["a", "b"], [[], ["1", "2"], [], [], [], ["3", "4"]])


def test_ragged_rows_are_kept_as_they_are() -> None:
    assert read(b"a,b,c\n1,2\n1,2,3,4\n") == (["a", "b", "c"], [["1", "2"], ["1", "2", "3", "4"]])


def test_blank_lines_before_the_header_are_skipped() -> None:
    """SPEC §3: blank lines are tolerated, also the empty lines some exports start with."""
    assert read(b"\r\n\r\nid,email\r\n1,a@example.com\r\n") == (["id", "email"], [["1", "a@example.com"]])


def test_semicolon_file_whose_header_names_contain_commas() -> None:
    """Excel in a semicolon locale writes ``Name, First`` unquoted; the data lines say it is ``;``."""
    data = b"Name, First;Email;Phone\r\nJane;jane@example.com;555\r\nJohn;john@example.com;556\r\n"

    assert read(data) == (["Name, First", "Email", "Phone"],
                          [["Jane", "jane@example.com", "555"], ["John", "john@example.com", "556"]])


def test_quoted_header_cell_with_a_line_break() -> None:
    """Excel writes a header cell typed with Alt+Enter as a quoted field holding a newline."""
    data = b'"Email\nAddress";Phone\r\na@example.com;555\r\n'

    assert read(data) == (["Email\nAddress", "Phone"], [["a@example.com", "555"]])


@pytest.mark.parametrize("data", [b"", b"   ", b"\r\n\r\n", b"\t \n"])
def test_empty_input_is_bad_input(data: bytes) -> None:
    with pytest.raises(BadInput, match="empty"):
        open_csv(io.BytesIO(data))


@pytest.mark.parametrize("data", [b"a,b\n1,\x002\n", b"\x00\x00\x00\x00", b"id\x00,email\n"])
def test_nul_bytes_are_bad_input(data: bytes) -> None:
    with pytest.raises(BadInput, match="NUL"):
        open_csv(io.BytesIO(data))


def test_a_file_of_empty_cells_only_is_bad_input() -> None:
    # A record of empty cells is a blank line (Excel exports them); nothing else names columns.
    with pytest.raises(BadInput, match="header"):
        open_csv(io.BytesIO(b",,\n , ,\n"))


# --- property: whatever Python's csv module writes reads back the same -------------------------

DELIMITERS = ",;\t|"
# Characters str.splitlines() breaks on, and NUL (a NUL is refused as binary by design).
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def cell_text(forbidden: str = "") -> st.SearchStrategy[str]:
    return st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00" + forbidden),
                   max_size=10)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[str], list[list[str]]]:
    """A delimiter, a header and rows of the same width.

    Generation is constrained to what a real file has, and the cases the reader cannot tell apart
    are left out (each is covered by an example test above):
    - header names hold the file's own delimiter (then quoted) and quotes, but neither another
      candidate delimiter nor a line break: ``a,b`` alone on a ``;`` line is a two-column comma
      header to any reader that looks at the header line;
    - header names do not start with U+FEFF (it is taken for a byte order mark);
    - a one-column file is comma-separated: with no delimiter in the header there is nothing to
      tell ``;`` from ``,``; and its cells hold no other candidate delimiter: a one-cell line
      above rows that split on ``\t`` is a title over a tab-separated table to the reader
      (tests/corpus/report_title_semicolon.csv is such a real file).
    Data cells of wider tables are any text without NUL: delimiters, quotes, newlines, any script.
    """
    width = draw(st.integers(1, 5))
    delimiter = "," if width == 1 else draw(st.sampled_from(DELIMITERS))
    others = "".join(d for d in DELIMITERS if d != delimiter)
    name = cell_text(others + LINE_BREAKS).filter(lambda s: s.strip() != "" and not s.startswith("\ufeff"))
    header = draw(st.lists(name, min_size=width, max_size=width))
    data = cell_text(others) if width == 1 else cell_text()
    rows = draw(st.lists(st.lists(data, min_size=width, max_size=width), max_size=6))
    return delimiter, header, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_any_table_written_by_the_csv_module_reads_back(table: tuple[str, list[str], list[list[str]]],
                                                        encoding: str) -> None:
    delimiter, header, rows = table
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)

    got = open_csv(io.BytesIO(out.getvalue().encode(encoding)))

    assert got.delimiter == delimiter
    assert got.header == header
    kept = [row if any(cell.strip() for cell in row) else [] for row in rows]
    while kept and not kept[-1]:  # blank lines after the last record are no rows
        kept.pop()
    assert list(got.rows) == kept
