"""The English place ("region") and carrier names of a valid phone number, as the phone
enricher reports them: from phonenumbers' own geocoder and carrier data (``LibraryNames``), or
the same answers from the English tables of ``phone_tables`` (``TableNames``), which load only
the country calling codes a sandbox's numbers are in.

``TableNames`` answers what ``geocoder.description_for_number(number, "en")`` and
``carrier.name_for_number(number, "en")`` answer (``tests/unit/test_phone_tables.py`` checks it
prefix by prefix): the longest prefix of the number's E.164 digits that has an English name;
for a place, without Argentina's mobile token, and, when no prefix has a name, the number's
country (when only one region of its calling code takes it); numbers of a type that has no
place get the country, of a type without a carrier no carrier, of an unknown type nothing.
"""

from __future__ import annotations

from typing import Protocol

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

from chalicelib.domain.enrich.phone_tables import Tables

_CARRIER_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
                            PhoneNumberType.PAGER})
_NO_REGION = "ZZ"


class PhoneNames(Protocol):
    """Where the phone enricher's English place and carrier names come from (hashable: the
    enricher's memo and the pipelines are keyed by it)."""

    def __hash__(self) -> int:
        """By identity: one source of names a process."""

    def region(self, number: PhoneNumber, kind: int) -> str:
        """The place (or country) of a number of type ``kind``; "" when unknown."""

    def carrier(self, number: PhoneNumber, kind: int) -> str:
        """The carrier a number of type ``kind`` was allocated to; "" when unknown."""


class LibraryNames:
    """phonenumbers' own geocoder and carrier data (every language, loaded whole on first use)."""

    def region(self, number: PhoneNumber, kind: int) -> str:
        """``geocoder.description_for_number(number, "en")``."""
        from phonenumbers import geocoder

        return str(geocoder.description_for_number(number, "en"))

    def carrier(self, number: PhoneNumber, kind: int) -> str:
        """``carrier.name_for_number(number, "en")``."""
        from phonenumbers import carrier

        return str(carrier.name_for_number(number, "en"))


class TableNames:
    """The same English names from per-country tables (``phone_tables.Tables``)."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables
        self.folder = tables.folder

    def region(self, number: PhoneNumber, kind: int) -> str:
        """The place of a fixed line (or a mobile where mobiles have places), else the country."""
        if kind == PhoneNumberType.UNKNOWN:
            return ""
        if not phonenumbers.is_number_type_geographical(kind, _code(number)):
            return self._country(number)
        return self.place(_without_mobile_token(number)) or self._country(number)

    def carrier(self, number: PhoneNumber, kind: int) -> str:
        """The carrier of a mobile or pager number (or one that may be either), else ""."""
        return self.carrier_of(number) if kind in _CARRIER_TYPES else ""

    def place(self, number: PhoneNumber) -> str:
        """The English name of the longest prefix of the number that has a place's."""
        return self._longest("geo", number)

    def carrier_of(self, number: PhoneNumber) -> str:
        """The English name of the longest prefix of the number that has a carrier's."""
        return self._longest("carrier", number)

    def _longest(self, kind: str, number: PhoneNumber) -> str:
        digits = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
        names = self._tables.names(kind, _code(number))
        for length in range(min(self._tables.longest[kind], len(digits)), 0, -1):
            name = names.get(digits[:length])
            if name is not None:
                return name
        return ""

    def _country(self, number: PhoneNumber) -> str:
        regions = phonenumbers.region_codes_for_country_code(_code(number))
        if len(regions) == 1:
            return self._tables.regions.get(regions[0], "")
        valid_in = [region for region in regions
                    if phonenumbers.is_valid_number_for_region(number, region)]
        if len(valid_in) > 1:  # the number could be from several countries: none is named
            return ""
        return self._tables.regions.get(valid_in[0] if valid_in else _NO_REGION, "")


def _without_mobile_token(number: PhoneNumber) -> PhoneNumber:
    """The number without the mobile token some countries put before the area code (Argentina's
    9), as the geocoder looks it up; the number itself when it has none."""
    token = phonenumbers.country_mobile_token(_code(number))
    national = phonenumbers.national_significant_number(number)
    if not token or not national.startswith(token):
        return number
    region = phonenumbers.region_code_for_country_code(_code(number))
    try:
        return phonenumbers.parse(national[len(token):], region)
    except phonenumbers.NumberParseException:
        return number


def _code(number: PhoneNumber) -> int:
    return number.country_code or 0  # a parsed number always has one
