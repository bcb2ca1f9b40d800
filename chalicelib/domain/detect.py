"""Recognising a column by its values: emails, phones, URLs, zip codes, @handles."""

from __future__ import annotations

import re
from collections import Counter

from chalicelib.domain.synonyms import synonym_field

# Share of a column's sampled non-empty values that must be of one kind to name the column.
CONTENT_SHARE = 0.8

# Shapes, not validation: the enrichers validate each value later. Regexes rather than
# email-validator/phonenumbers because no region is known here and a sample of a 60-column
# file is thousands of cells.
_EMAIL = re.compile(r"^(?:mailto:)?[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[a-z]{2,}$", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|www\.)\S+$|^[a-z0-9.-]+\.[a-z]{2,}/\S*$", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)
_LINKEDIN = re.compile(r"^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/", re.IGNORECASE)
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_HANDLE = re.compile(r"^@[a-z0-9_][a-z0-9_.]{0,29}$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[\d\s().\-/]+(?:\s*(?:x|ext\.?|#)\s*\d{1,6})?$", re.IGNORECASE)
_DATE = re.compile(r"^\d{1,4}([-./])\d{1,2}\1\d{1,4}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")

KIND_FIELDS = {"email": "email", "linkedin": "linkedin", "url": "website", "domain": "domain",
               "zip": "zip", "phone": "phone", "handle": "handle"}


def _is_phone(value: str) -> bool:
    if not _PHONE.match(value) or _DATE.match(value) or _IPV4.match(value):
        return False
    digits = re.sub(r"\D", "", re.split(r"(?i)x|ext|#", value)[0])
    if not 7 <= len(digits) <= 15:
        return False
    # A bare run of digits is an id or an amount unless it is dialled like a number.
    return not value.isdigit() or value.startswith("0") or len(digits) == 10


def value_kind(value: str) -> str | None:
    """What one cell looks like: email, linkedin, url, domain, zip, phone, handle, or None."""
    value = value.strip()
    if _EMAIL.match(value):
        return "email"
    if _LINKEDIN.match(value):
        return "linkedin"
    if _URL.match(value):
        return "url"
    if _HOST.match(value):
        return "domain"
    if _ZIP.match(value):
        return "zip"
    if _HANDLE.match(value):
        return "handle"
    return "phone" if _is_phone(value) else None


def column_kind(values: list[str]) -> tuple[str, float] | None:
    """The canonical field most (>= 80 %) of a column's non-empty values point to, and the share."""
    if not values:
        return None
    kinds = Counter(value_kind(value) for value in values)
    total = len(values)
    web = kinds["linkedin"] + kinds["url"] + kinds["domain"]
    if kinds["linkedin"] / total >= CONTENT_SHARE:
        return "linkedin", kinds["linkedin"] / total
    if web / total >= CONTENT_SHARE:  # a mix of "acme.com" and "https://..." is still websites
        return ("domain" if kinds["domain"] > kinds["url"] + kinds["linkedin"] else "website"), web / total
    kind, count = max(((k, n) for k, n in kinds.items() if k in ("email", "zip", "phone", "handle")),
                      key=lambda item: item[1], default=(None, 0))
    if kind is None or count / total < CONTENT_SHARE:
        return None
    return KIND_FIELDS[kind], count / total


def looks_like_data_row(cells: list[str]) -> bool:
    """True when a would-be header row is data: a cell is an email, phone, URL... and none a header name."""
    filled = [cell.strip() for cell in cells if cell.strip()]
    if any(synonym_field(cell) for cell in filled):
        return False
    return any(value_kind(cell) for cell in filled)
