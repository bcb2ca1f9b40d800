"""PlaceEnricher on US addresses: parsed streets, zip lookups and city/state consistency."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.place import PlaceEnricher, state_code

MOUNTAIN_VIEW: dict[str, Any] = {
    "zip": "94043", "city": "Mountain View", "state": "CA", "county": "Santa Clara County",
    "latitude": 37.4056, "longitude": -122.0775, "time_zone": "America/Los_Angeles",
}
NO_STREET: dict[str, Any] = {"number": None, "street": None, "unit": None}
NO_ZIP: dict[str, Any] = dict.fromkeys(MOUNTAIN_VIEW)


def enrich(**record: str) -> EnricherResult:
    return PlaceEnricher().enrich(record)


def test_street_with_city_and_a_zip_column() -> None:
    result = enrich(street="1600 Amphitheatre Pkwy, Mountain View", zip="94043")

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=True,
        outputs={"number": "1600", "street": "Amphitheatre Pkwy", "unit": None, **MOUNTAIN_VIEW,
                 # The city inside the street line is checked against the zip too.
                 "consistent": True, "mismatch": None, "reason": None},
    )


def test_one_line_address_gives_its_own_zip_and_state() -> None:
    outputs = enrich(street="1600 Amphitheatre Pkwy, Mountain View, CA 94043-1351").outputs

    assert outputs == {"number": "1600", "street": "Amphitheatre Pkwy", "unit": None,
                       **MOUNTAIN_VIEW, "consistent": True, "mismatch": None, "reason": None}


@pytest.mark.parametrize(
    ("street", "number", "name", "unit"),
    [
        ("350 5th Ave Apt 4B", "350", "5th Ave", "Apt 4B"),
        ("123 N Main St Ste 200", "123", "N Main St", "Ste 200"),
        ("742 Evergreen Terrace #2", "742", "Evergreen Terrace", "#2"),
        ("221B Baker Street", "221B", "Baker Street", None),
    ],
)
def test_street_is_split_into_number_name_and_unit(
    street: str, number: str, name: str, unit: str | None
) -> None:
    result = enrich(street=street)

    # Parsing the customer's own street line is no data found: without a zip it is not a match.
    assert (result.matched, result.outputs) == (False, {
        "number": number, "street": name, "unit": unit, **NO_ZIP,
        "consistent": None, "mismatch": None, "reason": "no zip code to locate the address",
    })


def test_a_zip_no_city_has_is_no_match_even_beside_a_good_street() -> None:
    """Issue 11: 00000 locates nothing, so the row is not billed."""
    result = enrich(street="123 Main St", zip="00000", city="Springfield", state="IL")

    assert result.matched is False
    assert result.outputs["reason"] == "unknown zip code"
    assert result.outputs["number"] == "123"


def test_city_that_disagrees_with_the_zip_is_flagged() -> None:
    result = enrich(zip="94043", city="Palo Alto", state="California")

    assert result.matched is True
    assert result.outputs == {**NO_STREET, **MOUNTAIN_VIEW, "consistent": False,
                              "mismatch": "zip 94043 is Mountain View, not Palo Alto",
                              "reason": None}


def test_city_and_state_both_wrong_are_both_reported() -> None:
    outputs = enrich(zip="10001", city="Boston", state="MA").outputs

    assert (outputs["consistent"], outputs["mismatch"]) == (
        False, "zip 10001 is New York, not Boston; zip 10001 is in NY, not MA"
    )


@pytest.mark.parametrize(
    ("zip_code", "city", "state"),
    [
        ("94043", "MOUNTAIN VIEW", "ca"),
        ("94043", "mountainview", "california"),
        ("10001", "Manhattan", "New York"),  # USPS's other names for the zip count
        ("63101", "St. Louis", "MO"),  # the data spells it "Saint Louis"
        ("20500", "Washington", "District of Columbia"),
    ],
)
def test_city_and_state_match_ignoring_case_spaces_and_abbreviations(
    zip_code: str, city: str, state: str
) -> None:
    outputs = enrich(zip=zip_code, city=city, state=state).outputs

    assert (outputs["consistent"], outputs["mismatch"]) == (True, None)


def test_zip_that_lost_its_leading_zero_in_a_spreadsheet_still_resolves() -> None:
    outputs = enrich(zip="2139", city="Cambridge", state="MA").outputs

    assert (outputs["zip"], outputs["city"], outputs["state"], outputs["consistent"]) == (
        "02139", "Cambridge", "MA", True
    )


def test_military_zip_has_no_coordinates_or_time_zone() -> None:
    outputs = enrich(zip="09001").outputs

    assert (outputs["state"], outputs["latitude"], outputs["longitude"], outputs["time_zone"]) == (
        "AE", None, None, None
    )


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"zip": "99999"}, "unknown zip code"),
        ({"zip": "SW1A 1AA"}, "not a US zip code"),
        ({"zip": "123456"}, "not a US zip code"),
        ({"street": "hello world"}, "street address not understood"),
        ({"street": "Hauptstraße 5"}, "street address not understood"),
    ],
)
def test_unusable_address_runs_but_does_not_match(record: dict[str, str], reason: str) -> None:
    assert PlaceEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN,
        matched=False,
        outputs={**NO_STREET, **NO_ZIP, "consistent": None, "mismatch": None, "reason": reason},
    )


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"city": "Boston", "state": "MA"},
        {"street": "  "},
        # A German postcode is no US zip, even when it happens to be one (10115 is in New York).
        {"street": "Invalidenstraße 116", "zip": "10115", "country": "Germany"},
        {"zip": "75008", "country": "FR"},
    ],
)
def test_no_us_address_fails_the_run_condition(record: dict[str, str]) -> None:
    assert PlaceEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN_CONDITION_FAILED
    )


def test_us_country_names_still_run() -> None:
    assert enrich(zip="94043", country="United States").outputs["city"] == "Mountain View"


@pytest.mark.parametrize(
    ("state", "code"),
    [("CA", "CA"), ("ny", "NY"), ("New Hampshire", "NH"), ("puerto rico", "PR"), ("Calif", None)],
)
def test_state_names_and_codes(state: str, code: str | None) -> None:
    assert state_code(state) == code


def test_enricher_is_named_for_its_output_namespace() -> None:
    assert PlaceEnricher.name == "place"
