"""Every built-in enricher answers any text a CSV column can hold, with plain JSON outputs."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.enrich.base import AttributeStatus, Enricher
from chalicelib.domain.enrich.company import CompanyEnricher
from chalicelib.domain.enrich.creator import CreatorEnricher
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.domain.enrich.name import NameEnricher
from chalicelib.domain.enrich.phone import PhoneEnricher
from chalicelib.domain.enrich.place import PlaceEnricher

# Text as messy as a real CSV column: URLs, @, digits, accents, blanks.
MESSY = st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["https://", "@", "//", "http://[::1", "x.com/@", "00000", "N/A", "#", "Inc.", "1 Main St,,"]
)

# Each enricher with the canonical fields it reads, fed two messy values.
CASES: dict[str, tuple[Callable[[], Enricher], Callable[[str, str], dict[str, str]]]] = {
    "name": (NameEnricher, lambda a, b: {"full_name": a, "last_name": b}),
    "company": (CompanyEnricher, lambda a, b: {"website": a, "email": b, "company": a}),
    "place": (PlaceEnricher, lambda a, b: {"street": a, "zip": b, "state": b}),
    "creator": (CreatorEnricher, lambda a, b: {"handle": a, "platform": b, "linkedin": b}),
    "email": (EmailEnricher, lambda a, b: {"email": a + b}),
    "phone": (PhoneEnricher, lambda a, b: {"phone": a, "country": b}),
}


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(max_examples=200, deadline=None)
@given(first=MESSY, second=MESSY)
def test_any_input_gets_an_answer_with_plain_json_outputs(kind: str, first: str, second: str) -> None:
    make, record = CASES[kind]

    result = make().enrich(record(first, second))

    assert result.status in (AttributeStatus.RUN, AttributeStatus.RUN_CONDITION_FAILED)
    assert json.loads(json.dumps(result.outputs)) == result.outputs
