"""Real-world export shapes in tests/corpus: open_csv reads them, resolve_columns maps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chalicelib.domain.columns import ColumnMapping, resolve_columns
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.upload import columns_and_rows

CORPUS = Path(__file__).parent.parent / "corpus"
SAMPLE_ROWS = 50
NAME = {"first_name": "First Name", "last_name": "Last Name"}


@dataclass(frozen=True)
class Expected:
    """What a customer should see: fields mapped to these columns, and this many data rows."""

    fields: dict[str, str]
    rows: int
    delimiter: str = ","
    has_header: bool = True
    skip_rows: int = 0
    encoding: str = "utf-8"
    xfail: str = field(default="")


CASES: dict[str, Expected] = {
    # 6 contacts, the 2 blank lines above Salesforce's report footer (skipped as blank_line,
    # each keeping its row_index) and the footer's 5 lines ("Copyright ...").
    "salesforce_contacts_report.csv": Expected({
        **NAME, "company": "Account Name", "street": "Mailing Street", "city": "Mailing City",
        "state": "Mailing State/Province", "zip": "Mailing Zip/Postal Code", "country": "Mailing Country",
        "phone": "Phone", "email": "Email", "id": "Contact ID"}, rows=13),
    "salesforce_leads_latin1.csv": Expected({
        "id": "Lead ID", **NAME, "company": "Company", "street": "Street", "city": "City",
        "state": "State/Province", "zip": "Zip/Postal Code", "country": "Country", "phone": "Phone",
        "email": "Email", "website": "Website"}, rows=5, encoding="cp1252"),
    "hubspot_contacts.csv": Expected({
        "id": "Record ID", **NAME, "email": "Email", "phone": "Phone Number", "company": "Company Name",
        "website": "Website URL", "street": "Street Address", "city": "City", "state": "State/Region",
        "zip": "Postal Code", "country": "Country/Region", "handle": "Twitter Username"}, rows=5),
    # German Excel: "Name" beside "Vorname" is the surname; "Umsatz" (1.200,50 €) stays unmapped.
    "excel_windows_cp1252_semicolon.csv": Expected({
        "last_name": "Name", "first_name": "Vorname", "company": "Firma", "street": "Straße", "zip": "PLZ",
        "city": "Ort", "phone": "Telefon", "email": "E-Mail"}, rows=4, delimiter=";", encoding="cp1252"),
    "google_sheets_utf8.csv": Expected({
        "full_name": "Full Name", "email": "Email Address", "phone": "Phone", "company": "Company",
        "website": "Website", "city": "City", "country": "Country"}, rows=4),
    "google_contacts_export.csv": Expected({
        "full_name": "Name", "first_name": "Given Name", "last_name": "Family Name",
        "email": "E-mail 1 - Value", "phone": "Phone 1 - Value", "street": "Address 1 - Street",
        "city": "Address 1 - City", "state": "Address 1 - Region", "zip": "Address 1 - Postal Code",
        "country": "Address 1 - Country", "company": "Organization 1 - Name",
        "website": "Website 1 - Value"}, rows=3),
    # "Home Phone" comes first but is empty in every row: the first phone column with values wins.
    "outlook_contacts.csv": Expected({
        **NAME, "email": "E-mail Address", "phone": "Business Phone", "company": "Company",
        "street": "Business Street", "city": "Business City", "state": "Business State",
        "zip": "Business Postal Code", "country": "Business Country/Region", "website": "Web Page"}, rows=3),
    # "Notes:" and its quoted paragraph precede the real header: both are skipped with it.
    "linkedin_connections.csv": Expected({
        **NAME, "linkedin": "URL", "email": "Email Address", "company": "Company"}, rows=4, skip_rows=2),
    "german_crm_export.csv": Expected({
        "first_name": "Vorname", "last_name": "Nachname", "company": "Firma", "email": "E-Mail-Adresse",
        "phone": "Telefon", "street": "Straße", "zip": "PLZ", "city": "Ort", "state": "Bundesland",
        "country": "Land", "website": "Webseite"}, rows=3, delimiter=";"),
    "french_excel_bom_semicolon.csv": Expected({
        "first_name": "Prénom", "last_name": "Nom", "company": "Société", "email": "Adresse e-mail",
        "phone": "Téléphone", "street": "Adresse", "zip": "Code postal", "city": "Ville", "state": "Région",
        "country": "Pays", "website": "Site web"}, rows=3, delimiter=";", encoding="utf-8-sig"),
    "spanish_export.csv": Expected({
        "first_name": "Nombre", "last_name": "Apellido(s)", "company": "Empresa",
        "email": "Correo electrónico", "phone": "Teléfono", "street": "Dirección", "zip": "Código postal",
        "city": "Ciudad", "state": "Provincia", "country": "País"}, rows=3),
    "excel_unicode_text_utf16.txt": Expected({
        "full_name": "Contact Name", "email": "Email", "phone": "Mobile", "company": "Organisation",
        "city": "Town", "zip": "Postcode"}, rows=3, delimiter="\t", encoding="utf-16"),
    # 6 addresses and the blank line between two of them.
    "bare_emails_no_header.csv": Expected({"email": "column_1"}, rows=7, has_header=False),
    "bare_phones_no_header.csv": Expected({"phone": "column_1"}, rows=6, has_header=False),
    "headerless_multi_column.csv": Expected({"email": "column_1", "phone": "column_3"}, rows=3,
                                            has_header=False),
    "pipe_delimited.txt": Expected({
        "id": "id", "full_name": "name", "email": "email", "phone": "phone", "company": "company",
        "city": "city"}, rows=3, delimiter="|"),
    "multiline_addresses.csv": Expected({
        "email": "Email", "street": "Billing Address", "phone": "Phone"}, rows=4),
    "ragged_rows.csv": Expected({"email": "Email", **NAME, "phone": "Phone"}, rows=4),
    # The first "Email" column is empty throughout; its namesake, made "Email_2", holds the emails.
    "duplicate_columns.csv": Expected({"full_name": "Name", "email": "Email_2", "phone": "Phone"}, rows=3),
    "trailing_empty_columns.csv": Expected({**NAME, "email": "Email", "company": "Company"}, rows=3),
    # "Citty" is too short a word to call a typo with confidence: left unmapped.
    "header_typos.csv": Expected({
        "first_name": "Frist Name", "last_name": "Lsat Name", "email": "Emial", "phone": "Phnoe Number",
        "company": "Compnay", "street": "Adress", "website": "Webiste"}, rows=3),
    "column_letters_content.csv": Expected({
        "email": "Column B", "phone": "Column C", "website": "Column D", "linkedin": "Column E",
        "zip": "Column F"}, rows=5),
    "pandas_unnamed_columns.csv": Expected({
        "zip": "Unnamed: 1", "email": "Kontakt", "handle": "Unnamed: 3"}, rows=5),
    # 3 people and the 5 blank lines (",," and "   " too) between the header and the last of them;
    # the blank lines above the header and at the end are no rows.
    "blank_lines_everywhere.csv": Expected({"email": "email", "full_name": "name", "phone": "phone"}, rows=8),
    "wide_60_columns.csv": Expected({
        "email": "Email", **NAME, "company": "Company", "phone": "Mobile Phone", "city": "City",
        "country": "Country", "website": "Website", "linkedin": "Custom Field 45", "zip": "Zip"}, rows=8),
    # Mailchimp's REGION is the state; OPTIN_IP addresses are not taken for phones.
    "mailchimp_audience_export.csv": Expected({
        "email": "Email Address", **NAME, "street": "Address", "phone": "Phone Number",
        "state": "REGION"}, rows=3),
    "creators_handles.csv": Expected({
        "handle": "Account", "website": "Link", "platform": "Platform"}, rows=4),
    "pipedrive_people.csv": Expected({
        "full_name": "Person - Name", "first_name": "Person - First name", "last_name": "Person - Last name",
        "email": "Person - Email - Work", "phone": "Person - Phone - Work", "company": "Organization - Name",
        "street": "Organization - Address"}, rows=2),
    # Excel's "sep=;" hint line reads as a one-cell header: the real header is the next row.
    "excel_sep_hint.csv": Expected({
        "first_name": "Vorname", "last_name": "Nachname", "email": "E-Mail", "phone": "Mobil",
        "company": "Firma"}, rows=2, delimiter=";", skip_rows=1),
    "report_title_semicolon.csv": Expected({
        "first_name": "Vorname", "last_name": "Nachname", "email": "E-Mail", "phone": "Telefon"},
        rows=3, delimiter=";", skip_rows=1),
}


def read(name: str) -> tuple[ColumnMapping, int, str, str]:
    """Open a corpus file as the splitter does; the mapping, data-row count, encoding, delimiter."""
    with (CORPUS / name).open("rb") as stream:
        table = open_csv(stream)
        rows = list(table.rows)
        mapping = resolve_columns(table.header, [row for row in rows if row][:SAMPLE_ROWS])
        table.rows = iter(rows)
        _, data = columns_and_rows(table, mapping.has_header, mapping.skip_rows)
        data_rows = sum(1 for _ in data)
    return mapping, data_rows, table.encoding, table.delimiter


def test_the_corpus_has_a_case_for_every_file() -> None:
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(reason=case.xfail, strict=True)) if case.xfail else name
    for name, case in CASES.items()
])
def test_each_export_maps_to_the_expected_columns(name: str) -> None:
    expected = CASES[name]

    mapping, data_rows, encoding, delimiter = read(name)

    assert {f: mapping.header[i] for f, i in mapping.fields.items()} == expected.fields
    assert data_rows == expected.rows
    assert (mapping.has_header, mapping.skip_rows) == (expected.has_header, expected.skip_rows)
    assert (encoding, delimiter) == (expected.encoding, expected.delimiter)


@pytest.mark.parametrize(("name", "column", "value"), [
    ("excel_windows_cp1252_semicolon.csv", "Umsatz", "1.200,50 €"),
    ("excel_windows_cp1252_semicolon.csv", "Name", "Müller"),
    ("salesforce_leads_latin1.csv", "City", "São Paulo"),
    ("excel_unicode_text_utf16.txt", "Contact Name", "Zoë Ellis"),
    ("french_excel_bom_semicolon.csv", "Civilité", "M."),
    ("multiline_addresses.csv", "Billing Address", "500 Market St\nSuite 1200\nSan Francisco, CA 94105"),
])
def test_first_data_row_decodes_to_the_exported_text(name: str, column: str, value: str) -> None:
    with (CORPUS / name).open("rb") as stream:
        table = open_csv(stream)

        first = next(table.rows)

    assert first[table.header.index(column)] == value
