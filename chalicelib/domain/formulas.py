"""Cells a spreadsheet would run as a formula, neutralized (OWASP's rule for CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or CR is opened by Excel, LibreOffice
and Google Sheets as a formula: ``=HYPERLINK(…)`` leaks data, ``=cmd|' /C calc'!A0`` runs a
program (DDE). Such a cell gets a leading ``'``, which makes every spreadsheet read it as text.

One exception, so real data stays readable: a cell that is only a signed number or a phone
number (``-12.50``, ``+1 415 555 0100``, ``+44 (20) 7946-0958``: a sign, then digits, spaces,
dots, commas, parentheses and hyphens) is left as it is. Without a letter it can name no
function, no cell reference and no DDE target, so there is nothing it could call; at worst a
spreadsheet does arithmetic on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_OR_PHONE = re.compile(r"[+-][\d .,()+-]*\d[\d .,()+-]*")


def neutralize(cell: str) -> str:
    """The cell as a spreadsheet must show it: text, never a formula."""
    if not cell.startswith(TRIGGERS) or _NUMBER_OR_PHONE.fullmatch(cell):
        return cell
    return "'" + cell


def neutralize_all(cells: Iterable[object]) -> list[object]:
    """Every text cell of a line neutralized (numbers and booleans are left as they are)."""
    return [neutralize(cell) if type(cell) is str else cell for cell in cells]


def neutralize_text(cells: Iterable[str]) -> list[str]:
    """Every cell of a line of text cells neutralized."""
    return [neutralize(cell) for cell in cells]
