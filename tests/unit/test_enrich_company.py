"""CompanyEnricher: registrable domains from websites and emails, and company names cleaned."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.company import CompanyEnricher, clean_company_name


@pytest.fixture(scope="module")
def enricher() -> CompanyEnricher:
    return CompanyEnricher()


def found(domain: str, source: str, name_clean: str | None = None) -> dict[str, Any]:
    return {"domain": domain, "website": f"https://{domain}", "source": source,
            "name_clean": name_clean}


def test_website_gives_the_registrable_domain_under_a_two_level_suffix(
    enricher: CompanyEnricher,
) -> None:
    result = enricher.enrich({"website": "https://www.bbc.co.uk/news", "company": "BBC"})

    assert result == EnricherResult(
        status=AttributeStatus.RUN, matched=True, outputs=found("bbc.co.uk", "website", "BBC")
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"website": "http://shop.example.com.au/x"}, found("example.com.au", "website")),
        ({"website": "globex.de/impressum?lang=en"}, found("globex.de", "website")),
        ({"domain": "WWW.Globex.COM"}, found("globex.com", "domain")),
        ({"domain": "acme.co.jp:8443"}, found("acme.co.jp", "domain")),
        # A shop on a hosting platform is its own site, not the platform's.
        ({"website": "https://acme-tees.myshopify.com/"}, found("acme-tees.myshopify.com", "website")),
        # Internationalised names come back in the ASCII form the email enricher reports too.
        ({"website": "https://www.bäckerei-müller.de"}, found("xn--bckerei-mller-bfb28a.de", "website")),
    ],
)
def test_domain_comes_from_website_or_domain_columns(
    enricher: CompanyEnricher, record: dict[str, str], expected: dict[str, Any]
) -> None:
    assert enricher.enrich(record).outputs == expected


def test_company_email_is_the_fallback_and_subdomains_are_dropped(enricher: CompanyEnricher) -> None:
    result = enricher.enrich({"email": "hans@mail.globex.de", "company": "Globex GmbH"})

    assert (result.matched, result.outputs) == (True, found("globex.de", "email", "Globex"))


def test_a_linkedin_page_in_the_website_column_does_not_hide_the_email_domain(
    enricher: CompanyEnricher,
) -> None:
    record = {"website": "https://www.linkedin.com/company/initech", "email": "peter@initech.com"}

    assert enricher.enrich(record).outputs == found("initech.com", "email")


@pytest.mark.parametrize("email", ["jane.doe@gmail.com", "anna@yahoo.co.uk", "li@qq.com"])
def test_free_mail_address_gives_no_company_domain(enricher: CompanyEnricher, email: str) -> None:
    result = enricher.enrich({"email": email, "company": "Initech, Inc."})

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=False,
        outputs={"domain": None, "website": None, "source": None, "name_clean": "Initech"},
    )


@pytest.mark.parametrize(
    "record",
    [{"website": "not a url.com"}, {"website": "localhost"}, {"website": "http://192.168.0.10/"},
     {"domain": "acme"}, {"email": "not-an-email.com"}],
)
def test_unusable_domains_run_without_a_match(enricher: CompanyEnricher, record: dict[str, str]) -> None:
    assert enricher.enrich(record) == EnricherResult(
        status=AttributeStatus.RUN,
        matched=False,
        outputs={"domain": None, "website": None, "source": None, "name_clean": None},
    )


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("Globex GmbH", "Globex"),
        ("Soylent S.A.", "Soylent"),
        ("Initech, Inc.", "Initech"),
        ("Hooli Pty Ltd", "Hooli"),
        ("Müller Bau GmbH & Co. KG", "Müller Bau"),
        ("Ferrari S.p.A.", "Ferrari"),
        ("Barilla S.r.l.", "Barilla"),
        ("Nokia Oyj", "Nokia"),
        ("Maersk A/S", "Maersk"),
        ("Grupo Bimbo, S.A.B. de C.V.", "Grupo Bimbo"),
        ("Tata Consultancy Services Pvt. Ltd.", "Tata Consultancy Services"),
        ("Acme Co., Ltd.", "Acme"),
        ("Umbrella Corporation,", "Umbrella"),
        ("ACME CORP", "ACME"),
        ("Wayne Enterprises, Inc., LLC", "Wayne Enterprises"),
        ("  Stark   Industries LLC.  ", "Stark Industries"),
        # Only a trailing legal form goes; a name that is nothing else stays whole.
        ("Alphabet Inc. Class A", "Alphabet Inc. Class A"),
        ("Cyberdyne Systems", "Cyberdyne Systems"),
        ("The Limited", "The Limited"),
        ("Casa SA", "Casa"),
    ],
)
def test_legal_forms_are_stripped_and_the_rest_keeps_its_casing(name: str, clean: str) -> None:
    assert clean_company_name(name) == clean


def test_company_name_alone_runs_but_is_not_billed(enricher: CompanyEnricher) -> None:
    assert enricher.enrich({"company": "Soylent S.A."}) == EnricherResult(
        status=AttributeStatus.RUN,
        matched=False,
        outputs={"domain": None, "website": None, "source": None, "name_clean": "Soylent"},
    )


@pytest.mark.parametrize("record", [{}, {"website": "  "}, {"phone": "+44 20 7946 0958"}])
def test_nothing_to_work_on_fails_the_run_condition(
    enricher: CompanyEnricher, record: dict[str, str]
) -> None:
    assert enricher.enrich(record) == EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)


def test_enricher_is_named_for_its_output_namespace() -> None:
    assert CompanyEnricher.name == "company"
