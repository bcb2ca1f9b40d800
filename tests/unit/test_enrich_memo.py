"""Enricher memos: a value a file repeats is worked out once, and every row still gets its own answer."""

from __future__ import annotations

from chalicelib.domain.enrich import memo
from chalicelib.domain.enrich.company import CompanyEnricher
from chalicelib.domain.enrich.phone import PhoneEnricher
from chalicelib.domain.enrich.pipeline import built_in_pipeline
from chalicelib.domain.messages import ChunkRow
from chalicelib.local.datagen import HEADER, realistic_rows

_FIELDS = {"id": 0, "first_name": 1, "last_name": 2, "email": 3, "phone": 4, "company": 5, "country": 6}


def test_a_switchboard_number_is_described_once_and_each_row_owns_its_answer() -> None:
    memo.clear()
    phone = PhoneEnricher()
    first = phone.enrich({"phone": "+1 415 555 0100"})
    second = phone.enrich({"phone": "+1 415 555 0100"})
    assert first == second and first.outputs["e164"] == "+14155550100"
    assert memo.hit_rates()["phone_outcome"] == 0.5  # the second row was answered from memory
    # a row that changes its outputs (or their lists) never changes another row's
    first.outputs["time_zones"].append("Mars/Olympus")
    first.outputs["carrier"] = "changed"
    assert phone.enrich({"phone": "+1 415 555 0100"}) == second


def test_a_companys_domain_and_name_are_worked_out_once_per_value() -> None:
    memo.clear()
    company = CompanyEnricher()
    for n in range(10):
        company.enrich({"email": f"p{n}@sales.acme.co.uk", "company": "Acme Ltd."})
    rates = memo.hit_rates()
    # per row: the (empty) website and domain cells, then the email's host: two values in 30 calls
    assert rates["registrable_domain"] == round(28 / 30, 3) and rates["clean_company_name"] == 0.9
    memo.clear()
    assert memo.hit_rates()["registrable_domain"] == 0.0


def test_memoized_rows_equal_rows_worked_from_scratch() -> None:
    # GIVEN a file that repeats companies, switchboards and people, as real exports do
    rows = realistic_rows(400)
    assert len({row[4] for row in rows if row[4]}) < 0.8 * sum(1 for row in rows if row[4])
    pipeline = built_in_pipeline("person", "US", frozenset(_FIELDS))
    # WHEN each row is enriched with every memo emptied first, then all in a row with memos
    scratch = []
    for index, row in enumerate(rows):
        memo.clear()
        scratch.append(pipeline.enrich_row(ChunkRow(i=index, v=row), _FIELDS).model_dump())
    memo.clear()
    warm = [pipeline.enrich_row(ChunkRow(i=index, v=row), _FIELDS).model_dump()
            for index, row in enumerate(rows)]
    # THEN every row's answer is the same, value for value
    assert warm == scratch
    assert HEADER[4] == "Mobile Phone"
