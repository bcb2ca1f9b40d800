"""PhoneEnricher on numbers from several countries: exact outputs, statuses and ``matched``."""

from __future__ import annotations

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.phone import PhoneEnricher


def enrich(phone: str, country: str | None = None) -> EnricherResult:
    record = {"phone": phone} if country is None else {"phone": phone, "country": country}
    return PhoneEnricher().enrich(record)


def test_uk_mobile_in_international_form() -> None:
    result = enrich("+44 7400 123456")

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=True,
        outputs={
            "valid": True,
            "e164": "+447400123456",
            "international": "+44 7400 123456",
            "country": "GB",
            "country_code": 44,
            "type": "mobile",
            "carrier": "Three",
            "region": "United Kingdom",
            # UK mobiles roam across the Crown Dependencies, so all four zones come back.
            "time_zones": ["Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey",
                           "Europe/London"],
        },
    )


def test_plus_44_7911_range_belongs_to_guernsey_not_gb() -> None:
    outputs = enrich("+44 7911 123456").outputs

    assert (outputs["country"], outputs["carrier"], outputs["region"]) == ("GG", "JT", "Guernsey")


def test_german_landline_in_national_form_uses_the_record_country() -> None:
    assert enrich("030 901820", country="DE").outputs == {
        "valid": True,
        "e164": "+4930901820",
        "international": "+49 30 901820",
        "country": "DE",
        "country_code": 49,
        "type": "fixed_line",
        "carrier": None,
        "region": "Berlin",
        "time_zones": ["Europe/Berlin"],
    }


def test_us_number_without_country_uses_the_default_region() -> None:
    assert enrich("(415) 555-2671").outputs == {
        "valid": True,
        "e164": "+14155552671",
        "international": "+1 415-555-2671",
        "country": "US",
        "country_code": 1,
        # North American numbering does not tell mobiles from landlines.
        "type": "fixed_line_or_mobile",
        "carrier": None,
        "region": "San Francisco, CA",
        "time_zones": ["America/Los_Angeles"],
    }


def test_french_mobile_with_country_name() -> None:
    assert enrich("06 12 34 56 78", country="France").outputs == {
        "valid": True,
        "e164": "+33612345678",
        "international": "+33 6 12 34 56 78",
        "country": "FR",
        "country_code": 33,
        "type": "mobile",
        "carrier": "SFR",
        "region": "France",
        "time_zones": ["Europe/Paris"],
    }


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [
        ("612 34 56 78", "España", "+34612345678"),
        ("020 7946 0958", "uk", "+442079460958"),
        ("0044 20 7946 0958", "Great Britain", "+442079460958"),
        ("0612345678", "fr", "+33612345678"),
        ("03-1234-5678", "Japan", "+81312345678"),
        ("+33 1 42 68 53 00", "USA", "+33142685300"),  # an explicit +code beats the country
    ],
)
def test_country_names_and_codes_choose_the_dialling_region(
    phone: str, country: str, e164: str
) -> None:
    assert enrich(phone, country).outputs["e164"] == e164


def test_unknown_country_falls_back_to_the_configured_default_region() -> None:
    result = PhoneEnricher(default_region="DE").enrich({"phone": "030 901820",
                                                         "country": "Atlantis"})

    assert (result.matched, result.outputs["e164"]) == (True, "+4930901820")


def test_non_geographic_toll_free_number_has_no_country() -> None:
    outputs = enrich("+800 1234 5678").outputs

    assert (outputs["country"], outputs["type"], outputs["region"], outputs["time_zones"]) == (
        None, "toll_free", None, []
    )


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("12345", "too short"),
        ("call me maybe", "not a phone number"),
        ("+1 555 555 5555", "not an assigned number"),
        ("555 0199", "missing area code"),
        ("1" * 40, "too long"),
    ],
)
def test_invalid_number_runs_but_does_not_match(phone: str, reason: str) -> None:
    assert enrich(phone) == EnricherResult(
        status=AttributeStatus.RUN, matched=False, outputs={"valid": False, "reason": reason}
    )


def test_unsupported_default_region_reports_invalid_country_code() -> None:
    result = PhoneEnricher(default_region="ZZ").enrich({"phone": "0612345678"})

    assert result.outputs == {"valid": False, "reason": "invalid country code"}


@pytest.mark.parametrize("record", [{}, {"phone": ""}, {"phone": "  "}, {"country": "DE"}])
def test_missing_phone_fails_the_run_condition(record: dict[str, str]) -> None:
    assert PhoneEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN_CONDITION_FAILED
    )
