"""A full read of a file before anything is stored: counts, skip reasons, cost, warnings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.records import BLANK_LINE, DUPLICATE, RowClassifier

RAGGED_EXAMPLES = 20


@dataclass
class FileReport:
    """What a preflight answers and what create checks."""

    rows: int = 0
    usable: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    ragged_rows: list[int] = field(default_factory=list)
    ragged_count: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Rows that are not blank lines."""
        return self.rows - self.skipped[BLANK_LINE]

    def to_json(self, price: int) -> dict[str, Any]:
        """The counts and cost estimate as the API shows them.

        ``rows`` counts blank lines between records too (each keeps its ``row_index``; they are
        skipped as ``blank_line``); ragged rows are named by their ``row_index``.
        """
        return {
            "rows": self.rows, "usable": self.usable, "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(self.skipped), "duplicates": self.skipped[DUPLICATE],
            "ragged_rows": {"count": self.ragged_count, "examples": self.ragged_rows},
            "cost_estimate": {"min": 0, "max": self.usable * price, "price_per_match": price},
            "warnings": self.warnings,
        }


def inspect_rows(rows: Iterable[list[str]], width: int, classifier: RowClassifier) -> FileReport:
    """Classify every row as the split will, and note rows whose cell count differs from the header."""
    report = FileReport()
    for index, values in enumerate(rows):
        report.rows += 1
        if values and len(values) != width:
            report.ragged_count += 1
            if len(report.ragged_rows) < RAGGED_EXAMPLES:
                report.ragged_rows.append(index)
        reason = classifier.skip_reason(values)
        if reason is None:
            report.usable += 1
        else:
            report.skipped[reason] += 1
    if report.ragged_count:
        report.warnings.append(
            f"{report.ragged_count} rows have a different number of cells than the header "
            f"(row_index {', '.join(map(str, report.ragged_rows))}): they are kept, extra cells go to "
            "extra_N columns in the results.")
    return report
