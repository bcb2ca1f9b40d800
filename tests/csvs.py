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


AWKWARD = ['"Smith, John"', '"said ""hi"""', '"line\nbreak"', "=1+2", "Zoë 李", "tab\there", ""]


def varied_leads(rows: int, widest: int = 57) -> bytes:
    """Leads whose rows differ in width and in output columns (bad emails, no phone, companies);
    row ``widest`` is the widest."""
    lines = ["id,Email Address,Phone,Company,Notes"]
    for i in range(rows):
        email = f"person{i}@example.com" if i % 3 else f"p{i}@@bad"
        phone = f"+1202555{i:04d}" if i % 4 else ""
        line = f"L{i},{email},{phone},Acme {i % 5} Inc,{AWKWARD[i % len(AWKWARD)]}"
        if i % 7 == 3:
            line += ",one more,and another"  # wider than the header
        if i % 11 == 5:
            line = f"L{i},short{i}@example.com"  # narrower
        if i == widest:
            line += ",a,b,c,d,e,f"  # the widest row, in one chunk only
        lines.append(line)
    return "\r\n".join(lines).encode()
