"""Small CSV builders for tests."""

from __future__ import annotations

import csv
import io

HEADER = ["id", "Email Address", "Phone", "Country", "Notes"]


def leads(n: int, matched_every: int = 1, start: int = 0) -> bytes:
    """n rows: every ``matched_every``-th has a valid email (billable), others a bad one."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(start, start + n):
        email = f"person{i}@example.com" if i % matched_every == 0 else f"nobody{i}@@bad"
        writer.writerow([f"L{i}", email, "", "US", f"note, with comma {i}"])
    return out.getvalue().encode()


def read_rows(data: bytes) -> list[dict[str, str]]:
    """A results CSV as dicts."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def late_phones(n: int, first: int) -> bytes:
    """n leads, only rows from ``first`` on with a phone: their output columns (``phone.*``) are
    in no earlier part."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(n):
        phone = f"+1202555{i:04d}" if i >= first else ""
        writer.writerow([f"L{i}", f"person{i}@example.com", phone, "US", f"note {i}"])
    return out.getvalue().encode()
