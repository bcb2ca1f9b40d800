"""EmailEnricher on realistic addresses: exact outputs, statuses and the billed ``matched`` flag."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.email import EmailEnricher


def enrich(email: str) -> EnricherResult:
    return EmailEnricher().enrich({"email": email})


def valid(normalized: str, local_part: str, domain: str, *, free: bool = False,
          role: bool = False) -> dict[str, Any]:
    return {"valid": True, "normalized": normalized, "local_part": local_part,
            "domain": domain, "free": free, "role": role}


def test_business_address_is_trimmed_and_domain_lower_cased() -> None:
    result = enrich("  Jane.Doe@EXAMPLE.COM ")

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=True,
        # The mailbox name keeps its case: only the receiving server may fold it.
        outputs=valid("Jane.Doe@example.com", "Jane.Doe", "example.com"),
    )


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("max.mustermann@GMX.de", valid("max.mustermann@gmx.de", "max.mustermann", "gmx.de",
                                        free=True)),
        ("anna.rossi@yahoo.co.uk", valid("anna.rossi@yahoo.co.uk", "anna.rossi",
                                         "yahoo.co.uk", free=True)),
        ("li.wei@qq.com", valid("li.wei@qq.com", "li.wei", "qq.com", free=True)),
    ],
)
def test_free_mail_providers_are_flagged(email: str, expected: dict[str, Any]) -> None:
    assert enrich(email).outputs == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        # email-validator itself lower-cases well-known shared mailbox names such as Info.
        ("Info@Acme.io", valid("info@acme.io", "info", "acme.io", role=True)),
        ("support+eu@acme.com", valid("support+eu@acme.com", "support+eu", "acme.com", role=True)),
        ("No-Reply@shop.fr", valid("No-Reply@shop.fr", "No-Reply", "shop.fr", role=True)),
    ],
)
def test_role_accounts_are_flagged(email: str, expected: dict[str, Any]) -> None:
    assert enrich(email).outputs == expected


def test_internationalized_domain_keeps_unicode_address_and_reports_ascii_domain() -> None:
    result = enrich("user@münchen.DE")

    assert result.matched is True
    assert result.outputs == valid("user@münchen.de", "user", "xn--mnchen-3ya.de")


def test_punycode_domain_is_shown_in_unicode_in_the_normalized_address() -> None:
    assert enrich("jean@xn--caf-dma.fr").outputs == valid(
        "jean@café.fr", "jean", "xn--caf-dma.fr"
    )


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("not-an-email", "An email address must have an @-sign."),
        ("jane@@example.com", "The part after the @-sign contains invalid characters: '@'."),
        ("jane doe@example.com",
         "The email address contains invalid characters before the @-sign: SPACE."),
        ("jane@localhost", "The part after the @-sign is not valid. It should have a period."),
    ],
)
def test_invalid_address_runs_but_does_not_match(email: str, reason: str) -> None:
    assert enrich(email) == EnricherResult(
        status=AttributeStatus.RUN, matched=False, outputs={"valid": False, "reason": reason}
    )


def test_absurdly_long_address_is_reported_not_raised() -> None:
    result = enrich("x" * 500 + "@example.com")

    assert result.status == AttributeStatus.RUN
    assert result.outputs["valid"] is False


@pytest.mark.parametrize("record", [{}, {"email": ""}, {"email": "   "}])
def test_missing_email_fails_the_run_condition(record: dict[str, str]) -> None:
    assert EmailEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN_CONDITION_FAILED
    )


def test_enricher_is_named_for_its_output_namespace() -> None:
    assert EmailEnricher.name == "email"
