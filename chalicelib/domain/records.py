"""From raw CSV values to canonical records, stable row ids and skip reasons."""

from __future__ import annotations

import hashlib

from chalicelib.domain.enrich.base import CanonicalRecord

# Fields the built-in enrichers can work from; a row with none of them cannot be enriched.
ENRICHABLE_FIELDS = ("email", "phone")
NO_ENRICHABLE_FIELDS = "no_email_or_phone"


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


def skip_reason(record: CanonicalRecord) -> str | None:
    """Why a row cannot be enriched, or None when it can."""
    if not any(record.get(name) for name in ENRICHABLE_FIELDS):
        return NO_ENRICHABLE_FIELDS
    return None
