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
