"""Place enricher: parse a US street address with usaddress; zip -> city, state, coordinates, zone."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import usaddress
import zipcodes

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)
from chalicelib.domain.enrich.phone import region_for_country

# Postal regions served by USPS zip codes (phonenumbers' region codes, as region_for_country says).
US_POSTAL_REGIONS: frozenset[str] = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})

STATE_CODES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "newhampshire": "NH", "newjersey": "NJ", "newmexico": "NM",
    "newyork": "NY", "northcarolina": "NC", "northdakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhodeisland": "RI", "southcarolina": "SC",
    "southdakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "westvirginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "districtofcolumbia": "DC", "washingtondc": "DC", "puertorico": "PR", "guam": "GU",
    "virginislands": "VI", "usvirginislands": "VI", "americansamoa": "AS",
    "northernmarianaislands": "MP", "federatedstatesofmicronesia": "FM", "micronesia": "FM",
    "marshallislands": "MH", "palau": "PW",
}
STATE_CODE_SET: frozenset[str] = frozenset(STATE_CODES.values()) | {"AA", "AE", "AP"}

# Abbreviated first words that USPS spells out in city names ("St Louis" = "Saint Louis").
CITY_ABBREVIATIONS: dict[str, str] = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}

STREET_LABELS: tuple[str, ...] = (
    "StreetNamePreDirectional", "StreetNamePreModifier", "StreetNamePreType", "StreetName",
    "StreetNamePostType", "StreetNamePostDirectional",
)
ZIP_RE = re.compile(r"(\d{3,5})(?:[-\s]?\d{4})?")


class PlaceEnricher:
    """Parse the record's US ``street`` and resolve its ``zip``; flag a city/state that disagrees."""

    name = "place"

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Describe the record's US address; matched only when its zip (given, or found in the
        street line) is a known place: parsing the customer's own street is no data found, and
        a zip no city has (00000) locates nothing."""
        street = (record.get("street") or "").strip()
        zip_text = (record.get("zip") or "").strip()
        region = region_for_country(record.get("country"))
        if not (street or zip_text) or (region is not None and region not in US_POSTAL_REGIONS):
            # usaddress and the zip data only know USPS addresses; a Berlin 10115 is no NYC zip.
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        parsed = usaddress_parts(street) if street else {}
        zip_text = zip_text or parsed.get("ZipCode", "")
        place = zip_place(zip_text) if zip_text else None
        city = (record.get("city") or parsed.get("PlaceName") or "").strip()
        state = (record.get("state") or parsed.get("StateName") or "").strip()
        outputs: dict[str, Any] = {
            **_street_outputs(parsed), **_zip_outputs(place), **_consistency(place, city, state)
        }
        matched = place is not None
        understood = bool(outputs["number"] and outputs["street"])
        outputs["reason"] = None if matched else _reason(zip_text, street, understood)
        return EnricherResult(status=AttributeStatus.RUN, matched=matched, outputs=outputs)


def usaddress_parts(address: str) -> dict[str, str]:
    """Label the parts of a US address line (usaddress's names), or {} when it cannot."""
    try:
        parts, kind = usaddress.tag(address)
    except usaddress.RepeatedLabelError:  # type: ignore[attr-defined]  # missing from its stub
        return {}  # the same label twice: not one address usaddress can make sense of
    return {} if kind == "Ambiguous" else {str(key): str(value) for key, value in parts.items()}


def zip_place(zip_text: str) -> dict[str, Any] | None:
    """The zipcodes entry for a 5-digit or ZIP+4 code, restoring zeros a spreadsheet dropped."""
    match = ZIP_RE.fullmatch(zip_text)
    if match is None:
        return None
    # Excel reads 02139 as the number 2139; a 3- or 4-digit zip is a New England or PR zip.
    return _lookup_zip(match.group(1).zfill(5))


# zipcodes scans its whole table per call (~0.2 ms); a batch repeats zips, so remember them.
# The entries are shared between calls and only ever read.
@lru_cache(maxsize=8192)
def _lookup_zip(zip5: str) -> dict[str, Any] | None:
    # zipcodes' Python wrapper is unannotated (its compiled core has stubs), hence the ignore.
    found: list[dict[str, Any]] = zipcodes.matching(zip5)
    return found[0] if found else None


def state_code(state: str) -> str | None:
    """A state typed as a code or a full name ("ca", "New York") -> its USPS code, else None."""
    key = _key(state)
    code = key.upper()
    return code if code in STATE_CODE_SET else STATE_CODES.get(key)


def _street_outputs(parsed: dict[str, str]) -> dict[str, str | None]:
    street = " ".join(parsed[label] for label in STREET_LABELS if label in parsed)
    # usaddress keeps the space it was given in "# 2"; the post office writes "#2".
    unit = " ".join(parsed[key] for key in ("OccupancyType", "OccupancyIdentifier") if key in parsed)
    return {
        "number": parsed.get("AddressNumber"),
        "street": street or None,
        "unit": unit.replace("# ", "#") or None,
    }


def _zip_outputs(place: dict[str, Any] | None) -> dict[str, Any]:
    if place is None:
        return dict.fromkeys(("zip", "city", "state", "county", "latitude", "longitude", "time_zone"))
    located = float(place["lat"]) != 0.0 or float(place["long"]) != 0.0
    return {
        "zip": place["zip_code"],
        "city": place["city"],
        "state": place["state"],
        "county": place["county"] or None,
        # Military (APO/FPO) zips have no place on the map: the data gives 0,0 and no zone.
        "latitude": float(place["lat"]) if located else None,
        "longitude": float(place["long"]) if located else None,
        "time_zone": place["timezone"] or None,
    }


def _consistency(place: dict[str, Any] | None, city: str, state: str) -> dict[str, Any]:
    if place is None or not (city or state):
        return {"consistent": None, "mismatch": None}
    problems: list[str] = []
    names = [place["city"], *place["acceptable_cities"], *place["unacceptable_cities"]]
    # USPS's "unacceptable" names (Manhattan for 10001) are still that place, not a mismatch.
    if city and _key(city) not in {_key(name) for name in names}:
        problems.append(f"zip {place['zip_code']} is {place['city']}, not {city}")
    if state and state_code(state) != place["state"]:
        problems.append(f"zip {place['zip_code']} is in {place['state']}, not {state}")
    return {"consistent": not problems, "mismatch": "; ".join(problems) or None}


def _reason(zip_text: str, street: str, understood: bool) -> str:
    if zip_text:
        return "unknown zip code" if ZIP_RE.fullmatch(zip_text) else "not a US zip code"
    if street:
        return "no zip code to locate the address" if understood else "street address not understood"
    return "no address"


def _key(text: str) -> str:
    # Compare place names ignoring case, spaces, dots and hyphens, with St/Ft/Mt spelled out.
    words = re.split(r"[\s.\-']+", text.casefold().strip())
    if words and words[0] in CITY_ABBREVIATIONS:
        words[0] = CITY_ABBREVIATIONS[words[0]]
    return "".join(words)
