"""Name enricher: split a person's full name into parts with nameparser, or join parts into one."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

from nameparser import HumanName

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)

# The parts reported, in the order nameparser names them.
PARTS: tuple[str, ...] = ("title", "first", "middle", "last", "suffix", "nickname")

# What spreadsheets hold where nobody knew the name.
PLACEHOLDERS: frozenset[str] = frozenset({"n/a", "na", "none", "null", "nil", "unknown", "tbd", "-"})

# Scripts whose names are written family name first and without a space: 山田太郎, 김민준.
FAMILY_FIRST_SCRIPTS: tuple[str, ...] = ("CJK UNIFIED", "HIRAGANA", "KATAKANA", "HANGUL")


class NameEnricher:
    """Parse ``full_name`` (or join ``first_name`` + ``last_name``) into the parts of a name."""

    name = "name"

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Describe the record's person name; matched when both a first and a last name result."""
        full = (record.get("full_name") or "").strip()
        first = (record.get("first_name") or "").strip()
        last = (record.get("last_name") or "").strip()
        if not (full or first or last):
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        if not _looks_like_a_name(full or f"{first} {last}"):
            outputs: dict[str, Any] = {"valid": False, "reason": "not a person's name"}
            return EnricherResult(status=AttributeStatus.RUN, matched=False, outputs=outputs)
        parts = parse_name(full) if full else _empty_parts()
        # Explicit columns only fill gaps: a full name says more (title, middle, suffix).
        parts["first"] = parts["first"] or tidy_case("first", first) or None
        parts["last"] = parts["last"] or tidy_case("last", last) or None
        outputs = {"valid": True, "full_name": _join(parts), **parts}
        matched = bool(parts["first"] and parts["last"])
        return EnricherResult(status=AttributeStatus.RUN, matched=matched, outputs=outputs)


def parse_name(full_name: str) -> dict[str, str | None]:
    """Split a free-text name ("Dr. Juan Carlos de la Vega Jr.", "MÜLLER, Hans") into parts."""
    human = HumanName(full_name)
    return {part: tidy_case(part, getattr(human, part)) or None for part in PARTS}


# First names and surnames repeat a lot in a batch, and each re-casing builds a HumanName.
@lru_cache(maxsize=4096)
def tidy_case(part: str, text: str) -> str:
    """Re-case a part typed all upper or all lower ("MÜLLER" -> "Müller"); keep mixed case as is."""
    if not (text.isupper() or text.islower()):
        # Mixed case was chosen by someone ("DeShawn", "McDonald"): forcing it would undo that.
        return text
    # A one-part HumanName reuses nameparser's rules for Mc/Mac, O', particles and suffixes.
    human = HumanName()
    setattr(human, part, text)
    human.capitalize(force=True)
    return str(getattr(human, part))


def _looks_like_a_name(text: str) -> bool:
    # An email address, a number or a placeholder in the name column is not a name to parse.
    if "@" in text or text.strip().casefold() in PLACEHOLDERS:
        return False
    return any(char.isalpha() for char in text)


def _join(parts: dict[str, str | None]) -> str:
    # The name as it is written on an envelope line, without the title or the nickname.
    if _written_family_first((parts["last"] or "") + (parts["first"] or "")):
        return "".join(word for word in (parts["last"], parts["middle"], parts["first"]) if word)
    words = (parts["first"], parts["middle"], parts["last"], parts["suffix"])
    return " ".join(word for word in words if word)


def _written_family_first(text: str) -> bool:
    return any(unicodedata.name(char, "").startswith(FAMILY_FIRST_SCRIPTS) for char in text)


def _empty_parts() -> dict[str, str | None]:
    return dict.fromkeys(PARTS)
