"""Company enricher: registrable domain from the public-suffix list, and a cleaned company name."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

import idna

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)
from chalicelib.domain.enrich.email import FREE_MAIL_DOMAINS
from chalicelib.domain.enrich.memo import memo

if TYPE_CHECKING:
    import tldextract

# Where a domain may come from, most trusted first; the email is the fallback of last resort.
DOMAIN_SOURCES: tuple[str, ...] = ("website", "domain")

# A profile on these sites says nothing about the company's own domain.
SOCIAL_DOMAINS: frozenset[str] = frozenset(
    {
        "linkedin.com", "facebook.com", "fb.com", "instagram.com", "twitter.com", "x.com",
        "youtube.com", "youtu.be", "tiktok.com", "threads.net", "threads.com", "twitch.tv",
        "pinterest.com", "linktr.ee", "crunchbase.com", "glassdoor.com", "xing.com",
    }
)

# Legal-form suffixes, written with their dots; dots are optional when matching ("S.A." = "SA").
LEGAL_FORMS: tuple[str, ...] = (
    "Inc.", "Incorporated", "Corp.", "Corporation", "Co.", "Co., Ltd.", "L.L.C.", "L.L.P.",
    "L.P.", "P.L.L.C.", "P.C.", "Ltd.", "Limited", "P.L.C.", "Pty. Ltd.", "Pty. Limited",
    "Pvt. Ltd.", "Private Limited", "U.L.C.", "GmbH", "gGmbH", "GmbH & Co. KG", "AG & Co. KG",
    "A.G.", "K.G.", "KGaA", "e.V.", "e.K.", "S.A.", "S.A.R.L.", "S.A.S.", "S.A.U.", "S.L.",
    "S.L.U.", "S.A. de C.V.", "S.A.B. de C.V.", "S. de R.L. de C.V.", "S.p.A.", "S.r.l.",
    "S.n.c.", "B.V.", "N.V.", "B.V.B.A.", "S.P.R.L.", "S.E.", "Oy", "Oyj", "A.B.", "A/S", "ApS",
    "A.S.", "ASA", "K.K.", "Ltda.", "Sdn. Bhd.", "Bhd.", "Sp. z o.o.", "s.r.o.", "a.s.", "Kft.",
    "Zrt.", "OÜ",
)


def _legal_form_pattern(form: str) -> str:
    # "S.A." -> r"S\.?\s*A\.?" so that "SA", "S.A", "S. A." all match the same form.
    parts = (re.escape(char) + "?" if char == "." else r"\s*" if char == " " else re.escape(char)
             for char in form)
    return "".join(parts)


# Longest forms first so "GmbH & Co. KG" is cut whole, not just its trailing "KG".
_FORMS = sorted(LEGAL_FORMS, key=len, reverse=True)
LEGAL_SUFFIX_RE = re.compile(
    r"(?:\s*,\s*|\s+)(?:" + "|".join(map(_legal_form_pattern, _FORMS)) + r")[\s,.]*$",
    re.IGNORECASE,
)


class CompanyEnricher:
    """Find the company's registrable domain and clean its name of legal-form suffixes."""

    name = "company"

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Describe the record's company: domain, website, where the domain came from, clean name."""
        company = (record.get("company") or "").strip()
        email = (record.get("email") or "").strip()
        if not (company or email or any((record.get(key) or "").strip() for key in DOMAIN_SOURCES)):
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        domain, source = self._find_domain(record)
        outputs: dict[str, Any] = {
            "domain": domain,
            "website": f"https://{domain}" if domain else None,
            "source": source,
            "name_clean": clean_company_name(company) or None,
        }
        return EnricherResult(status=AttributeStatus.RUN, matched=domain is not None, outputs=outputs)

    def _find_domain(self, record: CanonicalRecord) -> tuple[str | None, str | None]:
        for key in DOMAIN_SOURCES:
            domain = registrable_domain(record.get(key) or "")
            if domain and domain not in SOCIAL_DOMAINS:
                return domain, key
        _, at, host = (record.get("email") or "").strip().lower().rpartition("@")
        if not (at and host) or host in FREE_MAIL_DOMAINS:
            return None, None
        domain = registrable_domain(host)
        # Free-mail hosts are listed as people write them; check the registrable form too.
        if domain and domain not in FREE_MAIL_DOMAINS:
            return domain, "email"
        return None, None


@memo(maxsize=16_384)  # a file names few domains, each on many rows (every row's email host)
def registrable_domain(text: str) -> str | None:
    """The registrable domain of a URL or host, ASCII lower-case ("bbc.co.uk"), else None."""
    found = _suffix_list()(text.strip()).top_domain_under_public_suffix
    if not found:
        return None
    try:
        # IDNA both validates the labels ("not a url.com" fails) and gives one spelling.
        return idna.encode(found, uts46=True).decode("ascii")
    except idna.IDNAError:
        return None


@cache
def _suffix_list() -> tldextract.TLDExtract:
    # No suffix-list URLs and no cache dir: tldextract uses the snapshot in its wheel and never
    # touches the network or the (read-only on Lambda) file system. Built once, on first use:
    # loading the snapshot takes ~30 ms, too much to repeat per enricher or at import; importing
    # tldextract (requests, urllib3, filelock: ~0.1 s) waits for it too, so the API loads neither
    # until a dataset is indexed.
    import tldextract

    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), include_psl_private_domains=True)


@memo(maxsize=16_384)  # a company's name repeats on the rows of each of its contacts
def clean_company_name(name: str) -> str:
    """Strip legal-form suffixes ("Initech, Inc." -> "Initech"), keeping the rest as written."""
    cleaned = " ".join(name.split())
    while match := LEGAL_SUFFIX_RE.search(cleaned):
        shorter = cleaned[: match.start()].rstrip(" ,")
        if not shorter or shorter.lower() == "the":
            break  # a name that is only a legal form ("Limited", "The Limited") stays as it is
        cleaned = shorter
    return cleaned.rstrip(" ,")
