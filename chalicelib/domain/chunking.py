"""Packing consecutive rows into chunks: the unit of delivery, commit and billing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring  # a JSON string as json.dumps(ensure_ascii=False) writes it

from chalicelib.domain.messages import ChunkMessage

# JSON envelope of a chunk message besides its rows (ids, field map), generously rounded up.
ENVELOPE_BYTES = 2_000
TOO_LARGE = "row_too_large"


def row_json(index: int, values: list[str], skip: str | None) -> str:
    """One row as a chunk message carries it: the text ``ChunkRow(i=index, v=values, skip=skip)``'s
    ``model_dump_json(exclude_none=True)`` writes (pydantic escapes a string as ``json`` does with
    ``ensure_ascii=False``), written out: the split writes every row of a file, with no model a row."""
    text = '{"i":' + str(index) + ',"v":[' + ",".join(map(encode_basestring, values)) + "]"
    if skip is not None:
        text += ',"skip":' + encode_basestring(skip)
    return text + "}"


def json_row_bytes(text: str, values: int, skipped: bool) -> int:
    """Bytes the row whose ``row_json`` is ``text`` (with ``values`` cells, a reason or not) adds
    to a chunk message, counted generously: its JSON with a space after each separator, as
    ``json.dumps`` writes it, and a comma (the count chunk boundaries have always rested on)."""
    size = len(text) if text.isascii() else len(text.encode())
    return size + 3 + max(values, 1) + (2 if skipped else 0)


def pack_rows(rows: Iterable[tuple[int, list[str], str | None]], max_rows: int,
              max_bytes: int) -> Iterator[list[str]]:
    """Chunks of consecutive rows (index, values, skip reason), each ≤ ``max_rows`` rows and ≤
    ``max_bytes`` of JSON, as lists of their rows' ``row_json``.

    A row too large for any chunk travels as a skipped row without its values.
    """
    budget = max_bytes - ENVELOPE_BYTES
    chunk: list[str] = []
    used = 0
    for index, values, skip in rows:
        text = row_json(index, values, skip)
        size = json_row_bytes(text, len(values), skip is not None)
        if size > budget:
            text = row_json(index, [], TOO_LARGE)
            size = json_row_bytes(text, 0, True)
        if chunk and (len(chunk) >= max_rows or used + size > budget):
            yield chunk
            chunk, used = [], 0
        chunk.append(text)
        used += size
    if chunk:
        yield chunk


def chunk_body(message: ChunkMessage, rows: list[str]) -> str:
    """The body of ``message`` (built with no rows) carrying these rows (``row_json`` each): the
    text ``model_dump_json(exclude_none=True)`` writes of the message with those rows as models."""
    head, mark, tail = message.model_dump_json(exclude_none=True).partition('"rows":[]')
    if not mark or message.rows:  # a quote inside a value is escaped: the mark is the field's
        raise ValueError("chunk_body takes a message built with rows=[]")
    return head + '"rows":[' + ",".join(rows) + "]" + tail
