"""Reading customer CSV files as a stream: encoding, dialect, header, rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.domain.errors import BadInput

SAMPLE_BYTES = 64 * 1024
SNIFF_RECORDS = 25
DELIMITERS = ",;\t|"
FALLBACK_ERRORS = "batch-enrich-cp1252"
_LATIN = frozenset({"cp1252", "cp1250", "cp1254", "latin_1", "iso8859_15", "iso8859_2"})
_EXPORT_ENCODINGS = (*sorted(_LATIN), "cp1251", "cp1253", "cp1255", "cp1256", "koi8_r",
                     "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode a byte that is not UTF-8 as cp1252 (an Excel export with one stray ``ü``)."""
    assert isinstance(error, UnicodeDecodeError)
    chunk = error.object[error.start:error.end]
    return bytes(chunk).decode("cp1252", errors="replace"), error.end


codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


@dataclass
class CsvTable:
    """A header and an iterator over the data rows.

    A blank line between records is a row of its own, ``[]`` (so every record keeps its position
    in the file: ``row_index``); blank lines at the end of the file are no rows.
    """

    header: list[str]
    rows: Iterator[list[str]]
    encoding: str
    delimiter: str


class _Prepended(io.RawIOBase):
    """A raw stream that yields ``head`` and then the rest of ``tail`` (a sniffed sample put back)."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        self._head = head
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._tail.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def detect_encoding(sample: bytes) -> str:
    """The text encoding of a file from its first bytes: BOM, else UTF-8, else the best guess."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        raise BadInput("The file contains NUL bytes: it looks binary, not a CSV text file. "
                       "Export it again as CSV (UTF-8).")
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(sample) - 3:
            return "utf-8"  # a multi-byte character cut by the sample's end
    return _guess_single_byte(sample)


def _guess_single_byte(sample: bytes) -> str:
    """Among the encodings exports come in, the likeliest; cp1252 wins every tie.

    Short samples rarely tell the Latin code pages apart, and a Windows spreadsheet that is
    not UTF-8 is cp1252 far more often than anything else; Cyrillic, Greek, CJK and the like
    are told apart by the detector.
    """
    import charset_normalizer  # on first use: the API's cold start does not need it

    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(_EXPORT_ENCODINGS))
    best = matches.best()
    if best is None:
        return "cp1252"
    if best.encoding in _LATIN and (
        any(m.encoding == "cp1252" and m.chaos <= best.chaos for m in matches)
        or sample.decode("cp1252", "replace") == sample.decode(best.encoding, "replace")
    ):
        return "cp1252"
    return str(best.encoding)


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The first non-blank records of a sample under one delimiter (the last may be cut)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    found: list[list[str]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                found.append(row)
            if len(found) > SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    return found[:-1] if len(found) > 1 else found


def detect_delimiter(sample_text: str) -> str:
    """The delimiter under which the first records agree on the most fields (comma on a tie)."""
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        records = _records(sample_text, delimiter)
        preamble = 0
        while preamble < len(records) - 1 and len(records[preamble]) < 2:
            preamble += 1  # a title or notes line above the table does not vote
        records = records[preamble:]
        if not records or len(records[0]) < 2:  # the header must split under it
            continue
        widths = Counter(len(row) for row in records)
        width, agreeing = widths.most_common(1)[0]
        if width < 2 or (preamble and (agreeing < 2 or agreeing < 0.6 * len(records)
                                       or not all(cell.strip() for cell in records[0]))):
            continue  # past a preamble, only a named header over a table that holds together
        header_fits = len(records[0]) == width
        score = (agreeing + (len(records) if header_fits else 0), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff(stream: BinaryIO) -> tuple[bytes, str, str]:
    """A file's first bytes (read from ``stream``), its encoding and its delimiter."""
    sample = stream.read(SAMPLE_BYTES)
    if not sample.strip():
        raise BadInput("The file is empty: upload a CSV with a header row and at least one row.")
    encoding = detect_encoding(sample)
    errors = FALLBACK_ERRORS if encoding.startswith("utf-8") else "replace"
    return sample, encoding, detect_delimiter(sample.decode(encoding, errors=errors).lstrip("\ufeff"))


def prepended(head: bytes, tail: BinaryIO) -> BinaryIO:
    """A buffered stream that gives ``head`` and then the rest of ``tail``."""
    return io.BufferedReader(_Prepended(head, tail), buffer_size=SAMPLE_BYTES)


def table_of(rows: Iterator[list[str]], encoding: str, delimiter: str) -> CsvTable:
    """The table whose header is the first row that is not a blank line."""
    header = next((row for row in rows if row), None)  # blank lines above the header are no rows
    if header is None:
        raise BadInput("The file has no header row: the first line must name the columns.")
    header[0] = header[0].lstrip("\ufeff")
    return CsvTable(header=header, rows=rows, encoding=encoding, delimiter=delimiter)


def open_csv(stream: BinaryIO) -> CsvTable:
    """Open a binary CSV stream for row-by-row reading without loading it whole."""
    sample, encoding, delimiter = sniff(stream)
    errors = FALLBACK_ERRORS if encoding.startswith("utf-8") else "replace"
    text = io.TextIOWrapper(prepended(sample, stream), encoding=encoding, errors=errors, newline="")
    return table_of(_data_rows(csv.reader(text, delimiter=delimiter)), encoding, delimiter)


def is_blank(row: list[str]) -> bool:
    """True for a line without a non-space cell (an empty line, or Excel's ``,,,``)."""
    joined = "".join(row)  # all spaces exactly when every cell is (one C call, not one a cell)
    return not joined or joined.isspace()


def _data_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """Every record, a blank line as ``[]``; blank lines after the last record are dropped."""
    blanks = 0
    try:
        for row in reader:
            if is_blank(row):
                blanks += 1
                continue
            yield from ([] for _ in range(blanks))
            blanks = 0
            yield row
    except csv.Error as exc:
        raise BadInput(f"The CSV could not be read past line {getattr(reader, 'line_num', '?')}: "
                       f"{exc}. Check the quoting, or that no cell is over 128 KB.") from exc
