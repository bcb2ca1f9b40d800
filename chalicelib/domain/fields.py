"""Cells as the results files' csv writer writes them: minimal quoting, and (``text_fields``)
cells a spreadsheet would run as formulas neutralized first (``domain.formulas``).

``text_fields`` remembers each cell's field: a batch's cells repeat (countries, domains, time
zones, booleans, first names), and a dictionary lookup is several times cheaper than the
neutralizing and quoting it replaces, run once a cell for tens of cells a row. The memo is a
plain dict, emptied when it holds ``MEMO_CELLS`` cells (a field depends on its cell only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import cast

from chalicelib.domain.formulas import neutralize

_QUOTE = re.compile(r'[,"\r\n]')  # what makes csv's minimal quoting quote a field
_QUOTE_IN_FIELD = re.compile(r'["\r\n]')
MEMO_CELLS = 1 << 15
_FIELDS: dict[str, str] = {}


def csv_field(value: object) -> str:
    """One field as the results files' csv writer writes it (minimal quoting, "\\r\\n" lines)."""
    text = value if type(value) is str else str(value)
    return '"' + text.replace('"', '""') + '"' if _QUOTE.search(text) else text


def csv_fields(cells: Sequence[str]) -> str:
    """Text cells as csv fields joined by commas (no line end)."""
    joined = ",".join(cells)
    if joined.count(",") == len(cells) - 1 and not _QUOTE_IN_FIELD.search(joined):
        return joined  # no cell holds a comma, a quote or a line break: nothing to quote
    search = _QUOTE.search
    return ",".join([cell if search(cell) is None else '"' + cell.replace('"', '""') + '"'
                     for cell in cells])


def csv_line(fields: Iterable[object]) -> str:
    """One line of two or more fields, as ``csv.writer(out, lineterminator="\\r\\n")`` writes it.

    (csv quotes a line of one empty field as ``""``; no line of the results files is one.)
    """
    return ",".join([csv_field(value) for value in fields]) + "\r\n"


def text_fields(cells: Sequence[str]) -> str:
    """Text cells, each neutralized then quoted as needed, as csv fields joined by commas: what
    ``csv_fields(neutralize_text(cells))`` gives."""
    known = list(map(_FIELDS.get, cells))  # the loop in C: most cells are known
    if None in known:  # a row's own cells (an email, a number): found by C's search, not a loop
        n = known.index(None)
        try:
            while True:
                known[n] = _remember(cells[n])
                n = known.index(None, n + 1)
        except ValueError:
            pass
    return ",".join(cast(list[str], known))


def _remember(cell: str) -> str:
    field = csv_field(neutralize(cell))
    if len(_FIELDS) >= MEMO_CELLS:
        _FIELDS.clear()
    _FIELDS[cell] = field
    return field
