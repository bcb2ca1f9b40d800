"""Reading a CSV from any record boundary: every row knows the byte offset it starts at.

``open_csv`` reads a file from its first byte; a big file's split reads it in steps, each
invocation from where the last one stopped (``domain/checkpoint.py``). This reader yields the
same rows as ``open_csv`` (same decoding, dialect, blank-line rule), each a ``Row`` carrying its
``Cursor``: where reading must start again to read that row next. It splits lines on bytes
(``\\r``, ``\\n``, ``\\r\\n``: the line ends ``newline=""`` keeps), which no byte of a multi-byte
character in the encodings it reads can be; UTF-16 is decoded first and counted in code units.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from chalicelib.domain.csvinput import FALLBACK_ERRORS, CsvTable, is_blank, prepended, sniff, table_of
from chalicelib.domain.errors import BadInput

READ_BYTES = 256 * 1024  # one read of the S3 body: memory stays a few of these
MAX_LINE_BYTES = 16 * 1024 * 1024  # a line longer than this is no CSV a batch can take
_UTF16_LINE = re.compile(r"\r\n|\r|\n")


class Cursor(NamedTuple):
    """Where to start reading again: byte ``offset`` of a record, its ``line`` number (lines
    before it), and the ``blanks`` blank-line rows still to be given before that record (a
    tuple: every row read makes one)."""

    offset: int
    line: int = 0
    blanks: int = 0


class Row(list[str]):
    """A record's cells, and the cursor from which reading again gives this row first."""

    at: Cursor


def codec_of(encoding: str, head: bytes) -> tuple[str, int]:
    """The codec each line is decoded with and where the text starts (past a byte order mark)."""
    if encoding == "utf-8-sig":
        return "utf-8", len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if encoding == "utf-16":
        if head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16-be", 2
        return "utf-16-le", 2 if head.startswith(codecs.BOM_UTF16_LE) else 0
    return encoding, 0


def _errors(codec: str) -> str:
    return FALLBACK_ERRORS if codec == "utf-8" else "replace"


class _Lines:
    """The lines of a byte stream (line ends kept), counting the bytes and lines given out."""

    def __init__(self, stream: BinaryIO, codec: str, offset: int, line: int) -> None:
        self.offset = offset
        self.line = line
        self._stream = stream
        self._codec = codec
        self._errors = _errors(codec)

    def __iter__(self) -> Iterator[str]:
        if self._codec.startswith("utf-16"):
            yield from self._utf16()
            return
        rest = b""
        while True:
            block = self._stream.read(READ_BYTES)
            pieces = (rest + block).splitlines(keepends=True)
            rest = pieces.pop() if block and pieces else b""  # it may go on (or be a \r of \r\n)
            if len(rest) > MAX_LINE_BYTES:
                raise BadInput(f"Line {self.line + 1} of the file is longer than "
                               f"{MAX_LINE_BYTES // 2**20} MB: it is no CSV a batch can take.")
            for piece in pieces:
                self.offset += len(piece)
                self.line += 1
                yield piece.decode(self._codec, self._errors)
            if not block:
                return

    def _utf16(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self._codec)("replace")
        rest = ""
        while True:
            block = self._stream.read(READ_BYTES)
            text = rest + decoder.decode(block, final=not block)
            start = 0
            for end in _UTF16_LINE.finditer(text):
                if end.end() == len(text) and block:
                    break  # a \r at the end may be followed by \n in the next block
                yield from self._give(text[start:end.end()])
                start = end.end()
            rest = text[start:]
            if not block:
                if rest:
                    yield from self._give(rest)
                return

    def _give(self, line: str) -> Iterator[str]:
        self.offset += len(line.encode(self._codec, "surrogatepass"))
        self.line += 1
        yield line


class CsvRows:
    """Every row from a cursor on, as ``open_csv`` gives them; ``end`` is set once they ran out
    (the cursor past the file's last record)."""

    def __init__(self, stream: BinaryIO, codec: str, delimiter: str, cursor: Cursor) -> None:
        self.codec = codec
        self.delimiter = delimiter
        self.end: Cursor | None = None
        self._lines = _Lines(stream, codec, cursor.offset, cursor.line)
        self._cursor = cursor

    def __iter__(self) -> Iterator[Row]:
        lines, cursor = self._lines, self._cursor
        reader = csv.reader(lines, delimiter=self.delimiter)
        for left in range(cursor.blanks, 0, -1):
            yield _row([], Cursor(cursor.offset, cursor.line, left))
        blanks = 0
        while True:
            offset, line = lines.offset, lines.line
            try:
                values = next(reader)
            except StopIteration:  # blank lines after the last record are no rows
                self.end = Cursor(offset, line)
                return
            except csv.Error as exc:
                raise BadInput(f"The CSV could not be read past line {lines.line}: {exc}. Check "
                               "the quoting, or that no cell is over 128 KB.") from exc
            if is_blank(values):
                blanks += 1
                continue
            for left in range(blanks, 0, -1):  # the blank lines before this record
                yield _row([], Cursor(offset, line, left))
            blanks = 0
            yield _row(values, Cursor(offset, line))


def open_rows(stream: BinaryIO) -> tuple[CsvTable, CsvRows]:
    """A file read from its first byte: the table (header, rows) and the rows' reader."""
    sample, encoding, delimiter = sniff(stream)
    codec, start = codec_of(encoding, sample)
    rows = CsvRows(prepended(sample[start:], stream), codec, delimiter, Cursor(start))
    return table_of(iter(rows), encoding, delimiter), rows


def _row(values: list[str], at: Cursor) -> Row:
    row = Row(values)
    row.at = at
    return row
