"""Realistic lead files of any size, generated deterministically (for the benchmark)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

HEADER = ["Lead ID", "First Name", "Last Name", "Email Address", "Mobile Phone", "Company",
          "Country", "Notes"]
_FIRST = ["Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Grace", "Hiro", "Inés", "Jonas",
          "Kofi", "Lena", "Marco", "Nadia", "Olivier", "Priya", "Rosa", "Sven", "Tomás", "Yuki"]
_LAST = ["Schmidt", "Dupont", "García", "Rossi", "Smith", "Tanaka", "Okafor", "Novak", "Müller",
         "Silva", "Brown", "Kowalski", "Nguyen", "Jensen", "Haddad"]
_COMPANIES = [("Acme Corp", "acme.com", "US", "+1 415 555 {:04d}"),
              ("Globex GmbH", "globex.de", "DE", "+49 30 9018{:04d}"),
              ("Initech SARL", "initech.fr", "FR", "+33 1 42 68 {:02d} {:02d}"),
              ("Umbrella Ltd", "umbrella.co.uk", "GB", "+44 20 7946 {:04d}"),
              ("Soylent S.A.", "soylent.es", "ES", "+34 612 34{:04d}")]


def _phone(template: str, rng: random.Random) -> str:
    if template.count("{") == 2:
        return template.format(rng.randrange(100), rng.randrange(100))
    return template.format(rng.randrange(10_000))


def lead_rows(count: int, seed: int = 7) -> list[list[str]]:
    """``count`` rows of leads: mostly valid emails and phones, some invalid, some blank."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company, domain, country, phone = rng.choice(_COMPANIES)
        roll = rng.random()
        email = f"{first}.{last}{n}@{domain}".lower() if roll > 0.1 else (
            "" if roll > 0.05 else f"{first}@@{domain}")
        rows.append([f"L-{n}", first, last, email, _phone(phone, rng) if rng.random() < 0.7 else "",
                     company, country, rng.choice(["", "webinar", "trade show, Berlin", "inbound"])])
    return rows


_WORDS = ["Apex", "Blue", "Cedar", "Delta", "Echo", "Fern", "Granite", "Harbor", "Iris", "Juniper",
          "Keystone", "Lumen", "Maple", "North", "Orbit", "Pine", "Quartz", "River", "Summit", "Tide"]
_KINDS = [("Systems", "Inc."), ("Logistics", "GmbH"), ("Analytics", "Ltd"), ("Foods", "S.A."),
          ("Health", "LLC"), ("Partners", ""), ("Labs", "Corp."), ("Media", "SARL")]
_FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com"]


def _company(n: int, rng: random.Random) -> tuple[str, str, str, str, str]:
    """A made-up company: its name as a CRM writes it, domain, country, switchboard number and
    the pattern of its staff's numbers."""
    word, (kind, form) = _WORDS[n % len(_WORDS)], rng.choice(_KINDS)
    name = f"{word} {kind} {n}" + (f" {form}" if form else "")
    _, _, country, template = _COMPANIES[n % len(_COMPANIES)]
    return name, f"{word.lower()}{kind.lower()}{n}.com", country, _phone(template, rng), template


def realistic_rows(count: int, seed: int = 11) -> list[list[str]]:
    """Leads as a real B2B export repeats them: ~8 contacts a company (a few companies hold
    most), a third of the phones the company's switchboard, one email in ten on free mail,
    3% of the rows the same person exported twice."""
    rng = random.Random(seed)
    companies = [_company(n, rng) for n in range(max(1, count // 8))]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(companies))]
    rows: list[list[str]] = []
    for n in range(count):
        if rows and rng.random() < 0.03:
            rows.append([f"L-{n}", *rng.choice(rows)[1:]])
            continue
        name, domain, country, switchboard, staff = rng.choices(companies, weights)[0]
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        host = rng.choice(_FREE_MAIL) if rng.random() < 0.1 else domain
        roll = rng.random()
        phone = switchboard if roll < 0.35 else _phone(staff, rng) if roll < 0.7 else ""
        rows.append([f"L-{n}", first, last, f"{first}.{last}{n}@{host}".lower(), phone, name,
                     country, rng.choice(["", "webinar", "inbound"])])
    return rows


def write_leads(path: Path, rows: int) -> Path:
    """Write a leads CSV of ``rows`` rows."""
    return write_rows(path, lead_rows(rows))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """Write lead rows (as ``lead_rows`` makes them) under the leads header."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_leads_of_size(path: Path, megabytes: int) -> int:
    """Write a leads CSV of about ``megabytes`` MB (rows repeat a 10k-row pattern); returns rows."""
    block = lead_rows(10_000)
    target = megabytes * 1024 * 1024
    written = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        while out.tell() < target:
            for row in block:
                writer.writerow([f"L-{written}", *row[1:]])
                written += 1
    return written
