"""map_columns: the headers CRMs and spreadsheets really use, and an explicit column_map."""

from __future__ import annotations

import pytest

from chalicelib.domain.columns import map_columns, normalize_header


@pytest.mark.parametrize(("name", "field"), [
    ("Email Address", "email"),
    ("E-Mail", "email"),
    ("e_mail_address", "email"),
    ("  EMAIL  ", "email"),
    ("Work Email", "email"),
    ("Mobile Phone", "phone"),
    ("Phone Number", "phone"),
    ("Mailing Zip/Postal Code", "zip"),
    ("Postal Code", "zip"),
    ("Account Name", "company"),
    ("Company Name", "company"),
    ("First Name", "first_name"),
    ("LastName", "last_name"),
    ("Mailing State/Province", "state"),
    ("LinkedIn URL", "linkedin"),
    ("Record ID", "id"),
])
def test_typical_headers_map_to_their_canonical_field(name: str, field: str) -> None:
    assert map_columns(["Notes", name]) == {field: 1}


def test_a_salesforce_export_maps_every_known_column() -> None:
    header = ["Contact ID", "First Name", "Last Name", "Account Name", "Email", "Mobile Phone",
              "Mailing Street", "Mailing City", "Mailing State/Province", "Mailing Zip/Postal Code",
              "Mailing Country", "Lead Source"]

    assert map_columns(header) == {
        "id": 0, "first_name": 1, "last_name": 2, "company": 3, "email": 4, "phone": 5, "street": 6,
        "city": 7, "state": 8, "zip": 9, "country": 10,
    }


def test_unknown_headers_are_left_unmapped() -> None:
    assert map_columns(["Lead Source", "Favourite colour", ""]) == {}


def test_the_first_of_two_candidate_columns_wins() -> None:
    assert map_columns(["Work Email", "Email", "Phone", "Mobile"]) == {"email": 0, "phone": 2}


def test_explicit_column_map_wins_over_inference() -> None:
    header = ["Email", "Contact", "Telephone"]

    mapped = map_columns(header, {"Contact": "email"})

    assert mapped == {"email": 1, "phone": 2}  # "Contact" is not also taken for full_name


def test_a_header_named_in_column_map_is_not_also_inferred() -> None:
    mapped = map_columns(["Phone", "Cell"], {"Phone": "id"})

    assert mapped == {"id": 0, "phone": 1}


def test_explicit_column_map_can_name_an_unrecognised_header() -> None:
    assert map_columns(["Kontakt E-Post", "Namn"], {"Kontakt E-Post": "email", "Namn": "full_name"}) == {
        "email": 0, "full_name": 1,
    }


def test_column_map_naming_a_header_the_file_lacks_changes_nothing() -> None:
    assert map_columns(["Email"], {"Mail": "phone"}) == {"email": 0}


def test_normalize_header_folds_case_and_separators() -> None:
    assert normalize_header("  E-Mail_Address ") == "e mail address"
    assert normalize_header("Mailing Zip/Postal Code") == "mailing zip postal code"
