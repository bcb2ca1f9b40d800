"""Issue 11: enrichers follow the columns a file has, the entity type decides what is billed, and
the entity type is inferred from the columns (a name with an address is a place)."""

from __future__ import annotations

import pytest

from chalicelib.domain.columns import map_columns
from chalicelib.domain.enrich.creator import platform_in_header
from chalicelib.domain.enrich.pipeline import built_in_pipeline, enricher_names
from chalicelib.domain.entities import infer_entity_type
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import RowStatus


@pytest.mark.parametrize(("header", "expected"), [
    (["name", "address", "city", "state", "zip", "phone"], "place"),
    (["Business Name", "Street", "Zip"], "place"),
    (["email", "street", "city", "state", "zip"], "person"),
    (["first name", "last name", "address", "zip"], "person"),
    (["company", "street", "city", "state", "zip", "phone"], "place"),  # seed 001's CRM leads
    (["company", "website", "street", "zip"], "company"),
    (["name", "phone"], "person"),
    (["full name", "company"], "company"),
    (["handle"], "creator"),
    (["Instagram"], "creator"),
])
def test_the_entity_type_follows_the_columns(header: list[str], expected: str) -> None:
    assert infer_entity_type(map_columns(header)) == expected


def _row(fields: dict[str, int], values: list[str],
         entity_type: str) -> tuple[RowStatus, dict[str, object], bool]:
    pipeline = built_in_pipeline(entity_type, "US", frozenset(fields))
    result = pipeline.enrich_row(ChunkRow(i=0, v=values), fields)
    return result.status, dict(result.outputs), result.matched


def test_a_person_with_an_address_gets_the_address_enrichment_but_pays_for_the_email_only() -> None:
    fields = {"email": 0, "street": 1, "zip": 2}

    status, outputs, _ = _row(fields, ["ada@example.com", "1 Main St", "94043"], "person")
    no_email, found, matched = _row(fields, ["", "1 Main St", "94043"], "person")

    assert status is RowStatus.COMPLETED
    assert outputs["place"]["city"] == "Mountain View"  # type: ignore[index]
    assert outputs["place"]["time_zone"] == "America/Los_Angeles"  # type: ignore[index]
    assert no_email is RowStatus.NOT_FOUND and not matched and "place" in found  # free extra


def test_a_file_without_address_columns_runs_no_address_enrichment() -> None:
    assert enricher_names("person", frozenset({"email"})) == ("email", "phone", "name", "company")
    assert "place" in enricher_names("person", frozenset({"email", "city"}))


def test_a_places_name_is_not_split_as_a_persons() -> None:
    fields = map_columns(["name", "address", "city", "state", "zip", "phone"])

    status, outputs, _ = _row(fields, ["Joe's Diner", "12 Elm St", "Palo Alto", "CA", "94301", ""],
                              "place")

    assert "name" not in outputs and status is RowStatus.COMPLETED
    assert outputs["place"]["city"] == "Palo Alto"  # type: ignore[index]


def test_a_zip_no_city_has_is_no_match_and_costs_nothing() -> None:
    fields = {"street": 0, "zip": 1}

    status, outputs, matched = _row(fields, ["123 Main St", "00000"], "place")

    assert status is RowStatus.NOT_FOUND and not matched
    assert outputs["place"]["reason"] == "unknown zip code"  # type: ignore[index]


@pytest.mark.parametrize(("header", "platform"), [
    ("Instagram", "instagram"), ("TikTok handle", "tiktok"), ("Twitter username", "x"),
    ("X (Twitter)", "x"), ("YouTube channel", "youtube"), ("handle", None), ("Username", None),
])
def test_a_handle_columns_name_can_name_its_platform(header: str, platform: str | None) -> None:
    assert platform_in_header(header) == platform


def test_a_bare_handle_takes_the_batchs_platform() -> None:
    pipeline = built_in_pipeline("creator", "US", frozenset({"handle"}), "instagram")

    result = pipeline.enrich_row(ChunkRow(i=0, v=["@natgeo"]), {"handle": 0})

    assert result.status is RowStatus.COMPLETED
    assert result.outputs["creator"]["profile_url"] == "https://www.instagram.com/natgeo/"
