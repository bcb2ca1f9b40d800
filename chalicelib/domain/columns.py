"""Mapping a file's header to canonical fields: explicit, cached, synonym, fuzzy, then content."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.detect import column_kind, looks_like_data_row
from chalicelib.domain.synonyms import (
    CANONICAL_FIELDS,
    fuzzy_field,
    normalize_header,
    synonym_field,
)

__all__ = [
    "CANONICAL_FIELDS", "ColumnDecision", "ColumnMap", "ColumnMapping", "distinct_names",
    "header_fingerprint", "looks_like_data_row", "map_columns", "normalize_header", "resolve_columns",
]
# How far past open_csv's header a preamble (LinkedIn's "Notes:" lines) may push the real one.
PREAMBLE_ROWS = 10
# A customer's column_map: header -> canonical field, or None for "do not use this column".
ColumnMap = dict[str, str | None]


@dataclass(frozen=True)
class ColumnDecision:
    """How one column was mapped, for the manifest and for the customer to check."""

    column: str
    index: int
    field: str | None
    how: str  # explicit | cached | synonym | fuzzy | content | unmapped
    score: float | None = None


@dataclass(frozen=True)
class ColumnMapping:
    """The resolved header: canonical field -> column index, and why each column got its field."""

    fields: dict[str, int]
    decisions: list[ColumnDecision]
    has_header: bool
    # Rows after open_csv's header that are not data: a preamble and the real header below it.
    skip_rows: int = 0
    header: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The mapping as stored in the batch manifest and shown by the API."""
        return {
            "fields": dict(self.fields),
            "columns": [{"column": d.column, "index": d.index, "field": d.field, "how": d.how,
                         "score": d.score} for d in self.decisions],
            "has_header": self.has_header,
            "skip_rows": self.skip_rows,
        }


def header_fingerprint(header: list[str]) -> str:
    """A stable hash of the normalized header set: column order, case, spacing and blanks ignored."""
    names = sorted({normalize_header(name) for name in header} - {""})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


def distinct_names(header: list[str]) -> list[str]:
    """Header names made unique (``Email, Email`` -> ``Email, Email_2``); blanks become ``column_N``."""
    used = set(header)
    names: list[str] = []
    seen: Counter[str] = Counter()
    for index, name in enumerate(header):
        if not name.strip():
            names.append(f"column_{index + 1}")
            continue
        seen[name] += 1
        unique, n = name, seen[name]
        while n > 1 and unique in used:
            unique, n = f"{name}_{n}", n + 1
        used.add(unique)
        names.append(unique)
    return names


def map_columns(header: list[str], explicit: ColumnMap | None = None) -> dict[str, int]:
    """Canonical field -> column index from the header alone; an explicit ``column_map`` wins."""
    return resolve_columns(header, [], explicit).fields


def resolve_columns(header: list[str], sample_rows: list[list[str]], explicit: ColumnMap | None = None,
                    cached: dict[str, str] | None = None) -> ColumnMapping:
    """Map each column of a header (and the first rows below it) to a canonical field or none."""
    header, skip = _locate_header(header, sample_rows)
    rows = sample_rows[skip:]
    has_header = not looks_like_data_row(header)
    if has_header:
        given, names = header, distinct_names(header)
    else:
        rows = [header, *rows]
        given = names = [f"column_{i + 1}" for i in range(max(len(row) for row in rows))]
    work = _Resolution(given, names, rows)
    work.name_given(explicit or {}, "explicit", keep_unknown=True)
    work.name_given(cached or {}, "cached", keep_unknown=False)
    work.by_synonym()
    work.by_fuzzy_match()
    work.by_content()
    decisions = [work.decided.get(i) or ColumnDecision(name, i, None, "unmapped")
                 for i, name in enumerate(names)]
    return ColumnMapping(dict(sorted(work.taken.items(), key=lambda item: item[1])), decisions,
                         has_header, skip, names)


def _locate_header(header: list[str], rows: list[list[str]]) -> tuple[list[str], int]:
    """The real header and how many sample rows it sits below, past a one-cell preamble."""
    if sum(1 for cell in header if cell.strip()) > 1 or looks_like_data_row(header) or not rows:
        return header, 0
    width = Counter(len(row) for row in rows).most_common(1)[0][0]
    if len(header) >= width:  # a title or note line is narrower than the table below it
        return header, 0
    for index, row in enumerate(rows[:PREAMBLE_ROWS]):
        filled = sum(1 for cell in row if cell.strip())
        if filled >= max(2, width // 2) and not looks_like_data_row(row):
            return row, index + 1
    return header, 0


class _Resolution:
    """The columns still open and the fields already taken, stage after stage."""

    def __init__(self, given: list[str], names: list[str], rows: list[list[str]]) -> None:
        self.given = given  # what synonyms and typos are looked up by ("Email" twice)
        self.names = names  # what decisions, explicit and cached maps name ("Email", "Email_2")
        self.values = [[row[i].strip() for row in rows if i < len(row) and row[i].strip()]
                       for i in range(len(names))]
        self.decided: dict[int, ColumnDecision] = {}
        self.taken: dict[str, int] = {}

    def _open(self) -> list[int]:
        return [i for i in range(len(self.names)) if i not in self.decided]

    def _take(self, index: int, field: str | None, how: str, score: float | None = None) -> None:
        self.decided[index] = ColumnDecision(self.names[index], index, field, how, score)
        if field is not None:
            self.taken[field] = index

    def name_given(self, given: Mapping[str, str | None], how: str, keep_unknown: bool) -> None:
        """Columns the customer (or the tenant's cache) named; an explicit unknown or None stays unmapped."""
        for index in self._open():
            if self.names[index] not in given:
                continue
            wanted = given[self.names[index]]
            if wanted is not None and wanted in CANONICAL_FIELDS and wanted not in self.taken:
                self._take(index, wanted, how)
            elif keep_unknown:
                self._take(index, None, how)

    def by_synonym(self) -> None:
        """Known names; of several columns for one field the first with sampled values wins."""
        candidates: dict[str, list[tuple[int, str, float | None]]] = {}
        for index in self._open():
            found = synonym_field(self.given[index])
            if found is None:
                continue
            how, score = "synonym", None
            kind = column_kind(self.values[index])
            if found == "website" and kind is not None and kind[0] == "linkedin":
                found, how, score = "linkedin", "content", kind[1]  # LinkedIn's own "URL" column
            candidates.setdefault(found, []).append((index, how, score))
        for found, columns in candidates.items():
            best = next((c for c in columns if self.values[c[0]]), columns[0])
            for candidate in columns:
                if candidate is best and found not in self.taken:
                    self._take(candidate[0], found, candidate[1], candidate[2])
                else:
                    self._take(candidate[0], None, "unmapped")
        self._surname_after_first_name()

    def _surname_after_first_name(self) -> None:
        # German forms say "Vorname" / "Name": beside a first name, a bare "Name" is the surname.
        index = self.taken.get("full_name")
        if (index is None or "first_name" not in self.taken or "last_name" in self.taken
                or self.decided[index].how != "synonym" or normalize_header(self.given[index]) != "name"):
            return
        del self.taken["full_name"]
        self._take(index, "last_name", "synonym")

    def by_fuzzy_match(self) -> None:
        """Misspelt names (``Emial``, ``Compnay``); two columns after one field: best score wins."""
        scored = [(index, *match) for index in self._open()
                  if (match := fuzzy_field(self.given[index], self.taken)) is not None]
        for index, found, score in sorted(scored, key=lambda item: (-item[2], item[0])):
            if found not in self.taken:
                self._take(index, found, "fuzzy", round(score, 3))

    def by_content(self) -> None:
        """Columns whose values are mostly emails, phones, URLs, zips or @handles, whatever the name."""
        scored = [(index, *kind) for index in self._open()
                  if (kind := column_kind(self.values[index])) is not None]
        for index, found, share in sorted(scored, key=lambda item: (-item[2], item[0])):
            if found not in self.taken:
                self._take(index, found, "content", round(share, 3))

