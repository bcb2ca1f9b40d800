"""Header mapping: the names CRMs and spreadsheets really use, typos, values, and a column_map."""

from __future__ import annotations

import pytest

from chalicelib.domain.columns import (
    ColumnDecision,
    ColumnMapping,
    distinct_names,
    header_fingerprint,
    looks_like_data_row,
    map_columns,
    normalize_header,
    resolve_columns,
)


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


# resolve_columns: explicit -> cached -> synonym -> fuzzy -> content, one column per field.

def fields_by_name(mapping: ColumnMapping) -> dict[str, str]:
    return {field: mapping.header[index] for field, index in mapping.fields.items()}


def how(mapping: ColumnMapping) -> dict[str, str]:
    return {d.column: d.how for d in mapping.decisions}


def test_explicit_beats_cache_synonyms_typos_and_content() -> None:
    header = ["Email", "Phnoe", "Column C"]
    rows = [["+1 206 555 0100", "ann@example.com", "ann@example.org"]]

    mapping = resolve_columns(header, rows, explicit={"Email": "phone", "Column C": "email"},
                              cached={"Column C": "website", "Phnoe": "id"})

    assert fields_by_name(mapping) == {"phone": "Email", "id": "Phnoe", "email": "Column C"}
    assert how(mapping) == {"Email": "explicit", "Phnoe": "cached", "Column C": "explicit"}


def test_an_explicit_non_field_keeps_the_column_unmapped() -> None:
    mapping = resolve_columns(["Email", "Backup"], [["a@example.com", "b@example.com"]],
                              explicit={"Backup": ""})

    assert mapping.fields == {"email": 0}
    assert mapping.decisions[1] == ColumnDecision("Backup", 1, None, "explicit", None)


def test_the_tenants_cached_map_names_columns_unless_explicit_took_the_field() -> None:
    mapping = resolve_columns(["Kontakt E-Post", "A", "Telefon"], [], explicit={"A": "phone"},
                              cached={"Kontakt E-Post": "email", "Telefon": "phone"})

    assert mapping.fields == {"email": 0, "phone": 1}
    assert how(mapping) == {"Kontakt E-Post": "cached", "A": "explicit", "Telefon": "unmapped"}


@pytest.mark.parametrize(("name", "field"), [
    ("E-Mail-Adresse", "email"), ("Vorname", "first_name"), ("Nachname", "last_name"), ("Firma", "company"),
    ("PLZ", "zip"), ("Ort", "city"), ("Telefon", "phone"), ("Handy", "phone"), ("Land", "country"),
    ("Courriel", "email"), ("Adresse e-mail", "email"), ("PRÉNOM", "first_name"), ("Nom", "last_name"),
    ("Société", "company"), ("Code postal", "zip"), ("Ville", "city"), ("Téléphone", "phone"),
    ("Portable", "phone"), ("Pays", "country"), ("Correo electrónico", "email"), ("Nombre", "first_name"),
    ("Apellido(s)", "last_name"), ("Empresa", "company"), ("Código  Postal", "zip"), ("Ciudad", "city"),
    ("Teléfono", "phone"), ("Móvil", "phone"), ("País", "country"), ("Straße", "street"),
    ("Company name", "company"), ("Website URL", "website"), ("Country/Region", "country"),
    ("Billing Zip/Postal Code", "zip"), ("Business Street", "street"), ("FirstName", "first_name"),
])
def test_names_in_several_languages_are_synonyms_whatever_accents_or_case(name: str, field: str) -> None:
    mapping = resolve_columns(["Notes", name], [])

    assert mapping.fields == {field: 1}
    assert mapping.decisions[1] == ColumnDecision(name, 1, field, "synonym", None)


def test_a_bare_name_beside_a_first_name_is_the_surname() -> None:
    assert map_columns(["Vorname", "Name"]) == {"first_name": 0, "last_name": 1}
    assert map_columns(["Name", "Email"]) == {"full_name": 0, "email": 1}
    assert map_columns(["Vorname", "Name"], {"Name": "full_name"}) == {"first_name": 0, "full_name": 1}


def test_of_two_synonym_columns_the_first_with_values_wins() -> None:
    mapping = resolve_columns(["Home Phone", "Business Phone"], [["", "+1 425 555 0100"]])

    assert mapping.fields == {"phone": 1}
    assert how(mapping) == {"Home Phone": "unmapped", "Business Phone": "synonym"}


@pytest.mark.parametrize(("name", "field"), [
    ("Emial", "email"), ("Phnoe Number", "phone"), ("Compnay", "company"), ("Frist Name", "first_name"),
    ("Adress", "street"), ("Webiste", "website"), ("Postal Cdoe", "zip"),
])
def test_a_misspelt_header_is_matched_fuzzily_with_its_score(name: str, field: str) -> None:
    decision = resolve_columns([name], []).decisions[0]

    assert (decision.field, decision.how) == (field, "fuzzy")
    assert decision.score is not None and 0.88 <= decision.score < 1


@pytest.mark.parametrize("name", ["County", "Kontakt", "Status", "Citty", "Lead Source", "E-mail 2 Address",
                                  "Address Line 2", "Associated Company ID", "Stats", "Main"])
def test_real_column_names_near_a_synonym_are_not_taken_for_typos(name: str) -> None:
    assert resolve_columns([name], []).fields == {}


def test_two_columns_misspelling_one_field_the_closer_wins() -> None:
    mapping = resolve_columns(["Emial", "E-mial"], [])

    assert mapping.fields == {"email": 1}
    assert how(mapping) == {"Emial": "unmapped", "E-mial": "fuzzy"}


@pytest.mark.parametrize(("values", "field"), [
    (["ann@example.com", "BEN@Example.ORG", "mailto:chi@example.io"], "email"),
    (["+1 (415) 555-0100", "415.555.0101", "+49 30 5550102", "0171 5550103 ext. 12"], "phone"),
    (["https://acme.example", "www.globex.example/about", "http://initech.example"], "website"),
    (["https://www.linkedin.com/in/a", "linkedin.com/in/b", "https://de.linkedin.com/in/c"], "linkedin"),
    (["acme.com", "globex.co.uk", "initech.io"], "domain"),
    (["94105", "02139-4307", "10001"], "zip"),
    (["@ann", "@ben.ng", "@chi_wu"], "handle"),
])
def test_a_column_is_recognised_by_its_values_whatever_its_name(values: list[str], field: str) -> None:
    mapping = resolve_columns(["Unnamed: 3"], [[value] for value in values])

    assert mapping.decisions[0] == ColumnDecision("Unnamed: 3", 0, field, "content", 1.0)


def test_content_needs_four_in_five_values_of_one_kind() -> None:
    values = ["ann@example.com", "ben@example.com", "chi@example.com", "n/a", "", "call her"]

    mapping = resolve_columns(["Kontakt"], [[value] for value in values])

    assert mapping.fields == {}  # 3 of 5 non-empty values


@pytest.mark.parametrize("values", [
    ["2024-01-15", "15.01.2024", "1/15/2024"], ["192.168.10.21", "10.0.0.7", "172.16.0.4"],
    ["123456789", "123456790", "1234567"], ["3,50", "12.000", "7"], ["Ann Lee", "Ben Ng", "Chi Wu"],
])
def test_dates_ips_ids_amounts_and_names_are_not_taken_for_contact_data(values: list[str]) -> None:
    assert resolve_columns(["Column A"], [[value] for value in values]).fields == {}


def test_of_two_content_columns_for_one_field_the_larger_share_wins() -> None:
    rows = [["ann@example.com", "x@example.com"], ["ben@example.com", "y@example.com"],
            ["chi@example.com", "y@example.com"], ["dee@example.com", "y@example.com"],
            ["none", "z@example.com"]]

    mapping = resolve_columns(["Column A", "Column B"], rows)

    assert mapping.fields == {"email": 1}
    assert mapping.decisions[0] == ColumnDecision("Column A", 0, None, "unmapped", None)


def test_fingerprint_ignores_order_case_whitespace_and_blank_columns() -> None:
    one = header_fingerprint(["Email", "First Name", "Phone"])

    assert header_fingerprint([" phone", "EMAIL ", "first_name", "", ""]) == one
    assert header_fingerprint(["First  Name", "Phone", "Email", "Email"]) == one
    assert header_fingerprint(["Email", "First Name"]) != one


def test_distinct_names_number_duplicates_and_name_blank_columns() -> None:
    assert distinct_names(["Email", "Email", "Phone", "Email"]) == ["Email", "Email_2", "Phone", "Email_3"]
    assert distinct_names(["Email", "Email", "Email_2"]) == ["Email", "Email_3", "Email_2"]
    assert distinct_names(["Email", "", " "]) == ["Email", "column_2", "column_3"]


def test_an_explicit_map_can_name_the_second_of_two_same_named_columns() -> None:
    mapping = resolve_columns(["Email", "Email"], [], explicit={"Email_2": "email"})

    assert mapping.fields == {"email": 1}


@pytest.mark.parametrize(("cells", "is_data"), [
    (["ada@example.com"], True), (["+1 (415) 555-0100"], True), (["Ann Lee", "https://lee.example"], True),
    (["Email"], False), (["Name", "Notes", ""], False), (["Email", "ann@example.com"], False),
    (["Notes:"], False), (["First Name", "Last Name", "URL"], False),
])
def test_looks_like_data_row(cells: list[str], is_data: bool) -> None:
    assert looks_like_data_row(cells) is is_data


def test_a_file_without_header_gets_synthetic_names_and_its_first_row_is_data() -> None:
    mapping = resolve_columns(["ann@example.com", "Ann Lee", "+1 206 555 0100"],
                              [["ben@example.com", "Ben Ng", ""]])

    assert mapping.has_header is False
    assert mapping.header == ["column_1", "column_2", "column_3"]
    assert mapping.fields == {"email": 0, "phone": 2}  # the phone is only in the first row


def test_a_one_cell_preamble_above_the_header_is_skipped() -> None:
    rows = [["When exporting your connection data..."], ["First Name", "Email Address"],
            ["Ann", "ann@example.com"]]

    mapping = resolve_columns(["Notes:"], rows)

    assert (mapping.has_header, mapping.skip_rows) == (True, 2)
    assert fields_by_name(mapping) == {"first_name": "First Name", "email": "Email Address"}


def test_to_json_lists_fields_and_one_decision_per_column() -> None:
    mapping = resolve_columns(["Emial", "Notes"], [["ann@example.com", "hi"]])

    assert mapping.to_json() == {
        "fields": {"email": 0},
        "columns": [{"column": "Emial", "index": 0, "field": "email", "how": "fuzzy", "score": 0.9},
                    {"column": "Notes", "index": 1, "field": None, "how": "unmapped", "score": None}],
        "has_header": True,
        "skip_rows": 0,
    }


def test_a_blank_padded_one_column_header_is_not_taken_for_a_preamble() -> None:
    mapping = resolve_columns(["Email", "", ""], [["Ann", "Lee", ""], ["ann@example.com", "", ""]])

    assert (mapping.skip_rows, mapping.fields) == (0, {"email": 0})
