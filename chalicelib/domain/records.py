"""From raw CSV values to canonical records, stable row ids and skip reasons."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from chalicelib.domain.csvinput import is_blank
from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.domain.entities import REQUIRED, enrichable_columns, has_cells, is_enrichable, missing_reason

BLANK_LINE = "blank_line"
OVER_MAX_ROWS = "over_max_rows"
OVER_ROW_LIMIT = "over_row_limit"
DUPLICATE = "duplicate"
DIGEST_BYTES = 12  # a record's identity when deduplicating
# Fields whose normalized value identifies a record when deduplicating.
_IDENTITY_FIELDS = ("email", "phone", "linkedin", "handle", "domain", "website")


def canonical_record(values: list[str], fields: dict[str, int]) -> CanonicalRecord:
    """Canonical field -> stripped non-empty value (short rows simply lack the field)."""
    record: CanonicalRecord = {}
    for name, index in fields.items():
        if index < len(values) and values[index].strip():
            record[name] = values[index].strip()
    return record


def row_id(values: list[str], record: CanonicalRecord) -> str:
    """The given id column, else a stable hash of the row's values."""
    if record.get("id"):
        return record["id"]
    digest = hashlib.sha256("\x1f".join(values).encode()).hexdigest()
    return f"r_{digest[:16]}"


def identity(record: CanonicalRecord) -> bytes:
    """What makes two records the same one: their identifying fields, else all of them."""
    keys = [k for k in _IDENTITY_FIELDS if record.get(k)] or sorted(k for k in record if k != "id")
    text = "\x1f".join(f"{k}={''.join(record[k].lower().split())}" for k in keys)
    return hashlib.blake2b(text.encode(), digest_size=DIGEST_BYTES).digest()


@dataclass
class RowClassifier:
    """Decides, row by row in file order, whether a row is enriched or skipped (and why).

    ``max_rows`` and ``row_limit`` count the file's records that are not blank lines.
    """

    fields: dict[str, int]
    entity_type: str
    max_rows: int
    row_limit: int | None = None
    dedupe: bool = False
    _seen: set[bytes] = field(default_factory=set)
    _records: int = 0  # records (not blank lines) seen so far (a split step starts at its checkpoint's)
    _fresh: list[bytes] = field(default_factory=list)  # digests added since split last took them
    # the columns of each way a row of the type is enrichable (None: a type with none known)
    _needs: tuple[tuple[int, ...], ...] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.entity_type in REQUIRED:
            self._needs = enrichable_columns(self.entity_type, self.fields)

    @property
    def records(self) -> int:
        """Records (not blank lines) classified so far."""
        return self._records

    @property
    def fresh(self) -> int:
        """How many records' digests were first seen since they were last taken (dedupe)."""
        return len(self._fresh)

    def take_fresh(self, count: int) -> bytes:
        """The first ``count`` fresh digests, joined, no longer fresh (a split keeps them)."""
        taken, self._fresh = self._fresh[:count], self._fresh[count:]
        return b"".join(taken)

    def remember(self, digests: bytes) -> None:
        """Digests a split kept before (joined): those records were seen."""
        self._seen.update(digests[n:n + DIGEST_BYTES] for n in range(0, len(digests), DIGEST_BYTES))

    def skip_reason(self, values: list[str]) -> str | None:
        """The reason code the next row of the file is skipped, or None when it is to be enriched."""
        if is_blank(values):
            return BLANK_LINE
        position = self._records
        self._records += 1
        if position >= self.max_rows:
            return OVER_MAX_ROWS
        if self.row_limit is not None and position >= self.row_limit:
            return OVER_ROW_LIMIT
        if not self.dedupe and self._needs is not None:  # no record needed: read the cells
            return None if has_cells(values, self._needs) else missing_reason(self.entity_type)
        record = canonical_record(values, self.fields)
        if not is_enrichable(self.entity_type, record):
            return missing_reason(self.entity_type)
        if self.dedupe:
            key = identity(record)
            if key in self._seen:
                return DUPLICATE
            self._seen.add(key)
            self._fresh.append(key)
        return None
