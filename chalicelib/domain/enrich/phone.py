"""Phone enricher: parse, validate and describe a number offline with phonenumbers."""

from __future__ import annotations

from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, re_util, timezone

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)
from chalicelib.domain.enrich.memo import fresh, memo
from chalicelib.domain.enrich.phone_names import LibraryNames, PhoneNames

# Country names people type into a CSV, lower-cased, -> ISO 3166-1 alpha-2 region.
COUNTRY_NAMES: dict[str, str] = {
    "united states": "US", "united states of america": "US", "usa": "US", "us": "US",
    "america": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "germany": "DE", "deutschland": "DE",
    "france": "FR",
    "spain": "ES", "españa": "ES", "espana": "ES",
    "italy": "IT", "italia": "IT",
    "canada": "CA",
    "australia": "AU",
    "india": "IN",
    "brazil": "BR", "brasil": "BR",
    "mexico": "MX", "méxico": "MX",
    "netherlands": "NL", "the netherlands": "NL", "holland": "NL", "nederland": "NL",
    "japan": "JP",
}

NUMBER_TYPES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}

PARSE_REASONS: dict[int, str] = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}

# Why a parsed number is still not valid, from its length alone; else the range is unassigned.
LENGTH_REASONS: dict[int, str] = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "invalid length",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing area code",
}

# libphonenumber's region for non-geographic numbers (+800, +882 …); not an ISO code.
NON_GEO_REGION = "001"
# phonenumbers' own geocoder and carrier data, where no tables are given (phone_names.py)
LIBRARY_NAMES = LibraryNames()


class PhoneEnricher:
    """Validate the record's ``phone`` and describe it: formats, country, type, carrier, zones."""

    name = "phone"

    def __init__(self, default_region: str = "US", names: PhoneNames = LIBRARY_NAMES) -> None:
        self.default_region = default_region.upper()
        self.names = names  # where the English place and carrier names come from

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Parse ``record["phone"]`` in the record's country; never raises for bad input."""
        raw = (record.get("phone") or "").strip()
        if not raw:
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        region = region_for_country(record.get("country")) or self.default_region
        return fresh(phone_outcome(raw, region, self.names))


# Numbers repeat in real files (a company's switchboard on each of its contacts' rows); what
# phonenumbers answers depends on the whole number, not only its area code, so the memo is by
# number and region (and the source of names, the same in a process but for tests).
@memo(maxsize=16_384)
def phone_outcome(raw: str, region: str, names: PhoneNames = LIBRARY_NAMES) -> EnricherResult:
    """The phone enricher's answer for a non-empty number typed in a region."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        return _invalid(PARSE_REASONS.get(exc.error_type, "not a phone number"))
    if not phonenumbers.is_valid_number(number):
        length = phonenumbers.is_possible_number_with_reason(number)
        return _invalid(LENGTH_REASONS.get(length, "not an assigned number"))
    return EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=_describe(number, names))


def region_for_country(country: str | None) -> str | None:
    """Map a free-text country (ISO code or common name) to a phonenumbers region, else None."""
    text = (country or "").strip().lower()
    if text in COUNTRY_NAMES:
        return COUNTRY_NAMES[text]
    code = text.upper()
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


def _describe(number: phonenumbers.PhoneNumber, names: PhoneNames) -> dict[str, Any]:
    region = phonenumbers.region_code_for_number(number)
    zones = timezone.time_zones_for_number(number)
    kind = phonenumbers.number_type(number)
    return {
        "valid": True,
        "e164": phonenumbers.format_number(number, PhoneNumberFormat.E164),
        "international": phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        "country": None if region in (None, NON_GEO_REGION) else region,
        "country_code": number.country_code,
        "type": NUMBER_TYPES.get(kind, "unknown"),
        # The libraries answer "" when they do not know; None reads better downstream.
        "carrier": names.carrier(number, kind) or None,
        "region": names.region(number, kind) or None,
        "time_zones": [zone for zone in zones if zone != "Etc/Unknown"],
    }


def _invalid(reason: str) -> EnricherResult:
    return EnricherResult(
        status=AttributeStatus.RUN, matched=False, outputs={"valid": False, "reason": reason}
    )


def keep_patterns(keep: bool = True) -> None:
    """Keep each pattern of phonenumbers' metadata compiled once for the process's life (its own
    cache, ``phonenumbers.enable_pattern_cache``), rather than asking ``re.compile`` each time: a
    number's parse, validation and description ask it ~44 times, more patterns than the re
    module's bounded cache keeps, so some are compiled again for every number (~18% of
    ``phone_outcome``'s CPU on the generated file). ``keep=False`` puts back the library's
    default (off), as a script that never asks for it runs."""
    if keep:
        phonenumbers.enable_pattern_cache()
    else:  # the library has no call to turn it off: the state it keeps says so
        setattr(re_util, "_COMPILED_PATTERNS", None)  # noqa: B010 (not in the library's stubs)


def patterns_kept() -> bool:
    """Whether phonenumbers keeps its compiled patterns (``keep_patterns``)."""
    return getattr(re_util, "_COMPILED_PATTERNS", None) is not None
