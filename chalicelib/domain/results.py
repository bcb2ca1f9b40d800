"""The results files: every input row in order, original columns untouched, then outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from chalicelib.domain.billing import row_cost
from chalicelib.domain.enrich.base import Lookup
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.row_lines import json_value

ENRICH_COLUMNS = (
    "row_index", "row_id", "enrich_status", "enrich_matched", "enrich_credits", "enrich_error",
)
# One line per charge: a row a reprocess with refresh charged again has a line for each, named
# by the ledger entry of the charge (the ledger holds one entry per charged chunk part).
CREDITS_COLUMNS = ("row_index", "row_id", "credits", "ledger_entry")
ERRORS_COLUMNS = ("row_index", "row_id", "enrich_status", "reason")


def flatten_outputs(outputs: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``{"email": {"domain": "x.com"}}`` -> ``{"email.domain": "x.com"}`` as CSV text."""
    flat: dict[str, str] = {}
    for source, values in outputs.items():
        prefix = source + "."
        for name, value in values.items():
            flat[prefix + name] = value if type(value) is str else _cell(value)
    return flat


class OutputShape:
    """The flattened names of outputs of one shape (the same enrichers' same keys, in order),
    and where each column of a part's columns is among them: rows of one shape (most rows of a
    batch) are put in column order without a dictionary each, by one ``itemgetter`` (in C)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._pickers: dict[tuple[str, ...], Callable[[list[str]], Sequence[str]]] = {}

    def cells(self, outputs: dict[str, dict[str, Any]], columns: tuple[str, ...]) -> Sequence[str]:
        """The outputs' cells (as ``flatten_outputs`` writes them) in the order of ``columns``
        ("" where this shape has none)."""
        pick = self._pickers.get(columns)
        if pick is None:
            if len(self._pickers) >= _MOST_SHAPES:
                self._pickers.clear()
            pick = self._pickers[columns] = self._picker(columns)
        values = [value if type(value) is str else _cell(value)
                  for values in outputs.values() for value in values.values()]
        values.append("")
        return pick(values)

    def _picker(self, columns: tuple[str, ...]) -> Callable[[list[str]], Sequence[str]]:
        last = {name: n for n, name in enumerate(self.names)}  # a name twice: the last wins
        positions = [last.get(name, len(self.names)) for name in columns]
        if len(positions) > 1:
            return itemgetter(*positions)  # a tuple of the values at those positions
        return lambda values: [values[n] for n in positions]  # itemgetter of one is no tuple


_SHAPES: dict[tuple[Any, ...], OutputShape] = {}
_MOST_SHAPES = 1024


def output_shape(outputs: dict[str, dict[str, Any]]) -> OutputShape:
    """The shape of a row's outputs (remembered: a batch's rows have a handful)."""
    key = (tuple(outputs), *map(tuple, outputs.values()))
    shape = _SHAPES.get(key)
    if shape is None:
        if len(_SHAPES) >= _MOST_SHAPES:
            _SHAPES.clear()
        names = tuple(source + "." + name for source, values in outputs.items() for name in values)
        shape = _SHAPES[key] = OutputShape(names)
    return shape


def _cell(value: Any) -> str:
    if type(value) is str:  # most outputs: no conversion
        return value
    if value is None:
        return ""
    if value is True:  # a bool is one of its two instances
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (list, dict)):  # a tuple: checked faster than a union
        return json_value(value)  # json.dumps(value, ensure_ascii=False), without a new encoder
    return str(value)


def input_header(header: list[str], width: int) -> list[str]:
    """The file's header, widened with ``extra_N`` names when some row had more cells."""
    extra = [f"extra_{n}" for n in range(1, width - len(header) + 1)]
    return list(header) + extra


def enrich_cells(row: RowResult, price: int, credits: int | None = None) -> list[str]:
    """A row's enrich columns in results.csv (``ENRICH_COLUMNS``); ``credits``: what the row was
    charged in all (its own cost unless a reprocess charged it again)."""
    cost = row_cost(row, price) if credits is None else credits
    return [str(row.i), row.row_id, row.status.value, _cell(row.matched), str(cost), row.error or ""]


def results_header(header: list[str], output_columns: list[str]) -> list[str]:
    """results.csv's first line: the input columns, the enrich columns, then the outputs."""
    return [*header, *ENRICH_COLUMNS, *output_columns]


def credit_cells(row: RowResult, price: int) -> list[object] | None:
    """A row's credits.csv line, or None when the row costs nothing."""
    cost = row_cost(row, price)
    return [row.i, row.row_id, cost] if cost else None


def is_error(row: RowResult) -> bool:
    """True for a row errors.csv lists (failed or skipped)."""
    return row.status in (RowStatus.FAILED, RowStatus.SKIPPED)


def error_cells(row: RowResult) -> list[object]:
    """A failed or skipped row's errors.csv line."""
    return [row.i, row.row_id, row.status.value, row.error or ""]


def vendor_lookups(lookups: Mapping[str, int]) -> dict[str, int]:
    """What summary.json and the preview say of vendor sources: calls made and calls saved.

    ``cache_hits`` reused an answer kept from an earlier batch, ``duplicates`` one this batch
    asked for another row with the same lookup input; both are calls saved.
    """
    calls, cached, duplicates = (lookups.get(how.value, 0) for how in Lookup)
    return {"calls": calls, "cache_hits": cached, "duplicates": duplicates,
            "calls_saved": cached + duplicates}
