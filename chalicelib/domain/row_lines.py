"""A row's rows.jsonl line, written from its pieces: the bytes ``json.dumps(row_json(row),
ensure_ascii=False)`` writes, at a fraction of the CPU.

A worker writes a line for every row it enriches. ``json.dumps`` builds a fresh encoder for each
call (~2.5 µs) and walks a dictionary made for it; here one encoder, made once, writes the
values that vary (the input cells, the outputs, an error), the fixed keys are literal text, and
the pieces a batch repeats (each row's ``attributes`` and ``found``: a handful of distinct
values in a batch) are written once and remembered. JSON without indentation is the
concatenation of its members' JSON, so the line is the same, byte for byte
(``tests/unit/test_row_lines.py`` compares both on every kind of value).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from json.encoder import encode_basestring  # a JSON string as json.dumps(ensure_ascii=False) writes it
from typing import Any

from chalicelib.domain.billing import row_cost
from chalicelib.domain.models import RowResult

_DUMPS = json.JSONEncoder(ensure_ascii=False).encode


def _value_encoder() -> Callable[[Any], str]:
    """Any JSON value as ``json.dumps(value, ensure_ascii=False)`` writes it, from an encoder
    made once (CPython's C encoder; elsewhere ``_DUMPS``). No circular check: a row's values
    are trees."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _DUMPS
    dumps = json.JSONEncoder(ensure_ascii=False)
    chunks = make(None, dumps.default, encode_basestring, None, ": ", ", ", False, False, True)

    def encode(value: Any) -> str:
        if type(value) is str:
            return encode_basestring(value)
        return "".join(chunks(value, 0))

    return encode


# Any JSON value as ``json.dumps(value, ensure_ascii=False)`` writes it (results.csv's list cells too).
json_value = _value_encoder()
MEMO_PIECES = 4096  # distinct attributes / found values remembered (a batch has a handful)
_ATTRIBUTES: dict[tuple[tuple[str, str], ...], str] = {}
_FOUND: dict[tuple[str, ...], str] = {}


def jsonl_line(row: RowResult, price: int, charged: int | None = None) -> str:
    """The row's rows.jsonl line (without its line end): ``json.dumps(rendering.row_json(row,
    price, charged), ensure_ascii=False)``."""
    return row_line(row, row_cost(row, price) if charged is None else charged)


def row_line(row: RowResult, credits: int) -> str:
    """``jsonl_line`` of a row whose ``credits`` are known (rendering worked them out already)."""
    error = "null" if row.error is None else encode_basestring(row.error)
    line = (f'{{"row_index": {row.i!r}, "row_id": {encode_basestring(row.row_id)}, '
            f'"status": {encode_basestring(row.status.value)}, '
            f'"matched": {"true" if row.matched else "false"}, "credits": {credits!r}, '
            f'"error": {error}, "input": [{", ".join(map(encode_basestring, row.v))}], '
            f'"outputs": {json_value(row.outputs)}, '
            f'"attributes": {_remembered(_ATTRIBUTES, tuple(row.attributes.items()), row.attributes)}, '
            f'"found": {_remembered(_FOUND, tuple(row.found), row.found)}')
    if row.lookups:
        return line + f', "lookups": {json_value(row.lookups)}}}'
    return line + "}"


def _remembered(memo: dict[Any, str], key: Hashable, value: object) -> str:
    """``value``'s JSON, remembered under ``key`` (the memo emptied when it is full)."""
    text = memo.get(key)
    if text is None:
        if len(memo) >= MEMO_PIECES:
            memo.clear()
        text = memo[key] = json_value(value)
    return text
