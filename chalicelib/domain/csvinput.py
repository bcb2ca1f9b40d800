"""Reading customer CSV files as a stream: encoding, dialect, header, rows."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from chalicelib.domain.errors import BadInput

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass
class CsvTable:
    """A header and an iterator over the data rows (blank lines dropped)."""

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
    """Pick the text encoding of a file from its first bytes (BOM, else UTF-8, else cp1252)."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        raise BadInput("The file contains NUL bytes: it looks binary, not a CSV text file.")
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
        return "cp1252"


def detect_delimiter(first_line: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def open_csv(stream: BinaryIO) -> CsvTable:
    """Open a binary CSV stream for row-by-row reading without loading it whole."""
    sample = stream.read(SAMPLE_BYTES)
    if not sample.strip():
        raise BadInput("The file is empty: upload a CSV with a header row and at least one row.")
    encoding = detect_encoding(sample)
    raw = io.BufferedReader(_Prepended(sample, stream), buffer_size=SAMPLE_BYTES)
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    first_line = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines()[0]
    delimiter = detect_delimiter(first_line)
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise BadInput("The file has no header row: the first line must name the columns.")
    header[0] = header[0].lstrip("\ufeff")
    return CsvTable(header=header, rows=_data_rows(reader), encoding=encoding, delimiter=delimiter)


def _data_rows(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    for row in reader:
        if any(cell.strip() for cell in row):
            yield row
