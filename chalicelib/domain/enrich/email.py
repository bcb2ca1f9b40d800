"""Email enricher: syntax check and normalisation via email-validator, plus free-mail/role flags."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)

# Consumer mailbox providers: an address here is a person, not a company domain.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com",
        "yahoo.com", "yahoo.co.uk", "yahoo.co.in", "yahoo.co.jp", "yahoo.ca", "yahoo.com.au",
        "yahoo.com.br", "yahoo.com.mx", "yahoo.de", "yahoo.fr", "yahoo.es", "yahoo.it",
        "ymail.com", "rocketmail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.de", "hotmail.fr", "hotmail.it", "hotmail.es",
        "outlook.com", "outlook.de", "outlook.fr", "live.com", "live.co.uk", "live.de",
        "live.fr", "msn.com",
        "aol.com", "aim.com",
        "icloud.com", "me.com", "mac.com",
        "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "gmx.com", "web.de", "t-online.de",
        "freenet.de",
        "mail.ru", "inbox.ru", "list.ru", "bk.ru", "yandex.ru", "yandex.com", "ya.ru",
        "proton.me", "protonmail.com", "pm.me", "tutanota.com", "tuta.io",
        "zoho.com", "mail.com", "email.com", "fastmail.com", "hey.com",
        "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net",
        "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr",
        "libero.it", "virgilio.it", "tiscali.it", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
        "btinternet.com", "sky.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
        "rediffmail.com", "uol.com.br", "bol.com.br",
    }
)

# Shared mailboxes: writing to one reaches a team, not a named person.
ROLE_LOCAL_PARTS: frozenset[str] = frozenset(
    {
        "info", "sales", "support", "admin", "administrator", "contact", "hello", "office",
        "billing", "accounts", "accounting", "finance", "noreply", "no-reply", "donotreply",
        "do-not-reply", "team", "marketing", "hr", "jobs", "careers", "press", "media", "pr",
        "webmaster", "postmaster", "hostmaster", "abuse", "security", "help", "enquiries",
        "inquiries", "service", "customerservice", "orders", "legal", "privacy", "mail",
    }
)


class EmailEnricher:
    """Validate and normalise the record's ``email``; flag free-mail and role addresses."""

    name = "email"

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Check ``record["email"]`` offline and describe it; never raises for bad input."""
        raw = (record.get("email") or "").strip()
        outputs: dict[str, Any]
        if not raw:
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        try:
            # No DNS lookups: a batch of 100k rows must not make 100k network calls.
            info = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            outputs = {"valid": False, "reason": str(exc)}
            return EnricherResult(status=AttributeStatus.RUN, matched=False, outputs=outputs)
        domain = info.ascii_domain.lower()
        outputs = {
            "valid": True,
            "normalized": info.normalized,
            "local_part": info.local_part,
            "domain": domain,
            "free": domain in FREE_MAIL_DOMAINS,
            "role": is_role_local_part(info.local_part),
        }
        return EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=outputs)


def is_role_local_part(local_part: str) -> bool:
    """Tell whether a local part names a shared mailbox, ignoring case and any ``+tag``."""
    # Sub-addressing (support+eu@) still lands in the shared box, so judge the base name.
    return local_part.lower().split("+", 1)[0] in ROLE_LOCAL_PARTS
