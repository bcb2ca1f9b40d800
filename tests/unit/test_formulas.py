"""OWASP's rule for CSV injection, with numbers and phone numbers left readable."""

from __future__ import annotations

import pytest

from chalicelib.domain.formulas import neutralize, neutralize_all


@pytest.mark.parametrize("cell", [
    "=1+2", "=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C x'!A0",
    "@SUM(1+1)", "\t=1", "\r=1", "-", "+", "=", "-1e5", "+A1", "-(A1)", "+1 415 555 0100 x=1",
])
def test_a_cell_that_could_be_a_formula_gets_a_leading_quote(cell: str) -> None:
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", [
    "-12.50", "+3", "-1,234.5", "+1 415 555 0100", "+44 (20) 7946-0958", "+1-415-555-0100",
    "plain", "", " =1", "'=1", "a=b", "0", "12-3",
])
def test_numbers_phones_and_text_that_starts_otherwise_are_left_alone(cell: str) -> None:
    assert neutralize(cell) == cell


def test_only_text_cells_of_a_line_are_touched() -> None:
    assert neutralize_all([3, "=x", True, "-4"]) == [3, "'=x", True, "-4"]
