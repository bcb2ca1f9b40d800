"""The row classifier's answers read from the cells are those of the canonical record."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.csvinput import is_blank
from chalicelib.domain.entities import ENTITY_TYPES, is_enrichable, missing_reason
from chalicelib.domain.records import BLANK_LINE, RowClassifier, canonical_record

# Cells of spaces (ASCII, a no-break space, an ideographic one, a line separator), or text.
cells = st.sampled_from(["", " ", "\t", "\xa0", "\u3000", "\u2028", "\x1c", "\u200b", "x", " a "]) \
    | st.text(max_size=4)
FIELD_NAMES = ("email", "phone", "full_name", "first_name", "last_name", "linkedin", "company",
               "domain", "website", "street", "zip", "city", "state", "handle")


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=8))
def test_a_blank_line_is_one_whose_every_cell_strips_to_nothing(values: list[str]) -> None:
    assert is_blank(values) == (not any(cell.strip() for cell in values))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ENTITY_TYPES),
       st.dictionaries(st.sampled_from(FIELD_NAMES), st.integers(0, 9), max_size=8),
       st.lists(st.lists(cells, max_size=10), max_size=20))
def test_a_row_is_enriched_or_skipped_as_its_canonical_record_says(
        entity_type: str, fields: dict[str, int], rows: list[list[str]]) -> None:
    # the classifier no longer builds a record a row (the split's CPU): the same reasons
    classifier = RowClassifier(fields, entity_type, max_rows=10**6)
    for values in rows:
        wanted: str | None = None
        if not any(cell.strip() for cell in values):
            wanted = BLANK_LINE
        elif not is_enrichable(entity_type, canonical_record(values, fields)):
            wanted = missing_reason(entity_type)
        assert classifier.skip_reason(values) == wanted
