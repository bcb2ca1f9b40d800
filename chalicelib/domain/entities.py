"""Entity types: which canonical fields make a row of each type enrichable, and inference."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.enrich.base import CanonicalRecord

# Each entry is a set of alternatives; a row needs every field of at least one alternative.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "person": (("email",), ("phone",), ("full_name",), ("first_name", "last_name"), ("linkedin",)),
    "company": (("company",), ("domain",), ("website",), ("email",)),
    "place": (("street",), ("zip",), ("city", "state")),
    # By email only through a source that knows creators (advanced mode; checked at intake).
    "creator": (("handle",), ("linkedin",), ("email",)),
}
ENTITY_TYPES = tuple(REQUIRED)


def missing_reason(entity_type: str) -> str:
    """The skip reason code of a row that lacks what its entity type needs."""
    return f"missing_{entity_type}_fields"


def needs(entity_type: str) -> str:
    """What a row of this type needs, for messages: ``email, or phone, or first_name + last_name``."""
    return ", or ".join(" + ".join(fields) for fields in REQUIRED[entity_type])


def is_enrichable(entity_type: str, record: CanonicalRecord) -> bool:
    """True when the record has every field of one alternative of its type."""
    return any(all(record.get(f) for f in fields) for fields in REQUIRED[entity_type])


def enrichable_columns(entity_type: str, fields: Mapping[str, int]) -> tuple[tuple[int, ...], ...]:
    """``REQUIRED``'s alternatives of the type as the columns that hold their fields (those with
    a field no column holds left out): a row is enrichable when every column of one is filled."""
    return tuple(tuple(fields[f] for f in alternative) for alternative in REQUIRED[entity_type]
                 if all(f in fields for f in alternative))


def has_cells(values: list[str], alternatives: tuple[tuple[int, ...], ...]) -> bool:
    """``is_enrichable`` of the row's canonical record, read from its cells (no record built):
    every column of one alternative holds a value that is not only spaces."""
    width = len(values)
    for columns in alternatives:
        for column in columns:
            if column >= width or not values[column].strip():
                break
        else:
            return True
    return False


def can_map(entity_type: str, fields: Mapping[str, int]) -> bool:
    """True when the mapped columns could make some row of this type enrichable."""
    return any(all(f in fields for f in alternative) for alternative in REQUIRED[entity_type])


# Columns only a person has; a bare name column names a place as well as a person.
PERSON_COLUMNS = ("email", "first_name", "last_name", "linkedin")
WEB_COLUMNS = ("domain", "website")  # a company known by its site


def infer_entity_type(fields: Mapping[str, int]) -> str | None:
    """The entity type the mapped columns suggest (README, "How entity types are inferred").

    Handles make creators; an email, a first or last name or a LinkedIn profile make people;
    a domain or website makes companies; an address (street, zip, or city and state) makes
    places, named by a name or company column ("Joe's Diner" is a place's name, not a
    person's); a company name alone makes companies; what is left (a name, a phone) people.
    """
    if "handle" in fields:
        return "creator"
    if any(name in fields for name in PERSON_COLUMNS):
        return "person"
    if any(name in fields for name in WEB_COLUMNS):
        return "company"
    for entity_type in ("place", "company", "person"):
        if can_map(entity_type, fields):
            return entity_type
    return None
