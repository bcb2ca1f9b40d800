"""Reference datasets: a tenant's own records, looked up by email, phone, handle or domain."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import phonenumbers

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, EnricherResult
from chalicelib.domain.enrich.company import registrable_domain
from chalicelib.domain.records import canonical_record

# Lookup order: the most specific identifier first.
KEY_KINDS = ("email", "phone", "handle", "domain")


def lookup_keys(record: CanonicalRecord, region: str) -> list[str]:
    """The normalized identifiers of a record, most specific first (``email:ada@x.com`` …)."""
    keys: list[str] = []
    email = record.get("email", "").strip().lower()
    if "@" in email:
        keys.append(f"email:{email}")
    phone = e164(record.get("phone", ""), record.get("country", "") or region)
    if phone:
        keys.append(f"phone:{phone}")
    handle = record.get("handle", "").strip().lstrip("@").lower()
    if handle:
        keys.append(f"handle:{handle}")
    for source in (record.get("domain"), record.get("website"), email.partition("@")[2]):
        domain = registrable_domain(source) if source else None
        if domain:
            keys.append(f"domain:{domain}")
            break
    return keys


def e164(text: str, region: str) -> str | None:
    """A phone number in E.164 (``+14155550100``), or None when it does not parse."""
    if not text.strip():
        return None
    try:
        number = phonenumbers.parse(text, region.upper() if len(region) == 2 else None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def output_name(column: str) -> str:
    """A dataset column as an output name: ``Job Title`` -> ``job_title``."""
    return re.sub(r"[^0-9a-z]+", "_", column.lower()).strip("_") or "column"


def build_index(columns: list[str], rows: Iterable[list[str]], fields: dict[str, int],
                region: str) -> dict[str, Any]:
    """A dataset as stored: its output columns, its rows, and identifier -> row number."""
    names = [output_name(c) for c in columns]
    stored: list[list[str]] = []
    keys: dict[str, int] = {}
    for values in rows:
        for key in lookup_keys(canonical_record(values, fields), region):
            keys.setdefault(key, len(stored))  # the first row with an identifier wins
        stored.append(values)
    return {"columns": names, "rows": stored, "keys": keys}


class ReferenceDataset:
    """A stored dataset as an enricher: a hit returns that row's columns."""

    def __init__(self, name: str, index: dict[str, Any], region: str) -> None:
        self.name = name
        self._columns: list[str] = index["columns"]
        self._rows: list[list[str]] = index["rows"]
        self._keys: dict[str, int] = index["keys"]
        self._region = region
        self.fields = frozenset(self._columns)

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Find the record by its identifiers; matched when a row has one of them."""
        keys = lookup_keys(record, self._region)
        if not keys:
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        for key in keys:
            if key in self._keys:
                row = self._rows[self._keys[key]]
                outputs = {name: value for name, value in zip(self._columns, row, strict=False)
                           if value.strip()}
                return EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=outputs)
        return EnricherResult(status=AttributeStatus.RUN, matched=False)
