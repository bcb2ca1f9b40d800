"""What a vendor is asked about a record, normalized: the key its answer is kept under.

Two rows that ask a vendor the same thing in different spellings (``Ada@X.com`` and
``ada@x.com ``; ``(415) 555-0100`` and ``+1 415 555 0100``) get the same key, so the answer
is paid for once. Each canonical field is normalized the way the service reads it elsewhere:
emails lower-cased, phones in E.164, domains and websites as their registrable domain,
handles without ``@``; any other field with its spaces collapsed, case-folded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.domain.enrich.company import registrable_domain
from chalicelib.sources.config import HttpSourceConfig
from chalicelib.sources.dataset import e164


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _domain(text: str) -> str:
    return registrable_domain(text) or _folded(text)


_BY_FIELD: dict[str, Callable[[str], str]] = {
    "email": lambda text: text.strip().lower(),
    "domain": _domain,
    "website": _domain,
    "handle": lambda text: _folded(text).lstrip("@"),
    "linkedin": lambda text: _folded(text).rstrip("/"),
}


def normalized_input(config: HttpSourceConfig, record: CanonicalRecord, region: str) -> dict[str, str] | None:
    """The fields the source would send, normalized; None when the record lacks a required one
    (the source is then not asked at all)."""
    if any(not (record.get(name) or "").strip() for name in config.required_fields()):
        return None
    found: dict[str, str] = {}
    for name in config.input_fields():
        text = (record.get(name) or "").strip()
        if not text:
            continue
        if name == "phone":
            found[name] = e164(text, record.get("country", "") or region) or _folded(text)
        else:
            found[name] = _BY_FIELD.get(name, _folded)(text)
    return found


def cache_key(tenant_id: str, source: str, fingerprint: str, inputs: dict[str, str]) -> str:
    """``{tenant}#{source}#{digest}``: the digest of the source's ``answer_fingerprint`` and the
    input (the input itself, personal data, is never part of a key)."""
    material = json.dumps([fingerprint, sorted(inputs.items())], ensure_ascii=False)
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"{tenant_id}#{source}#{digest}"
