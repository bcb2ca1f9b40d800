"""Mapping a file's header to canonical fields."""

from __future__ import annotations

import re

CANONICAL_FIELDS = (
    "id", "first_name", "last_name", "full_name", "email", "phone", "company", "domain",
    "website", "linkedin", "street", "city", "state", "zip", "country", "handle", "platform",
)

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "record id", "row id", "contact id", "lead id", "external id"),
    "first_name": ("first name", "firstname", "given name", "first"),
    "last_name": ("last name", "lastname", "surname", "family name", "last"),
    "full_name": ("name", "full name", "fullname", "contact name", "contact"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "work email"),
    "phone": ("phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell"),
    "company": ("company", "company name", "organization", "organisation", "account name"),
    "domain": ("domain", "company domain", "email domain"),
    "website": ("website", "url", "web site", "company website", "homepage"),
    "linkedin": ("linkedin", "linkedin url", "linkedin profile"),
    "street": ("street", "address", "street address", "address line 1", "mailing street"),
    "city": ("city", "town", "mailing city"),
    "state": ("state", "province", "region", "state province", "mailing state province"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "postcode", "mailing zip postal code"),
    "country": ("country", "country code", "mailing country"),
    "handle": ("handle", "username", "user name", "instagram", "tiktok", "twitter"),
    "platform": ("platform", "network", "social network"),
}
_LOOKUP = {syn: canonical for canonical, syns in _SYNONYMS.items() for syn in syns}


def normalize_header(name: str) -> str:
    """Lower-case, separators to spaces, collapsed: ``E-Mail_Address`` -> ``e mail address``."""
    return re.sub(r"[^0-9a-z]+", " ", name.lower()).strip()


def map_columns(header: list[str], explicit: dict[str, str] | None = None) -> dict[str, int]:
    """Canonical field -> column index; an explicit ``column_map`` (header -> field) wins."""
    fields: dict[str, int] = {}
    explicit = explicit or {}
    for index, name in enumerate(header):
        canonical = explicit.get(name)
        if canonical and canonical not in fields:
            fields[canonical] = index
    for index, name in enumerate(header):
        if name in explicit:
            continue
        canonical = _LOOKUP.get(normalize_header(name))
        if canonical and canonical not in fields:
            fields[canonical] = index
    return fields
