"""Fuzzing the CSV reader end to end: any bytes are refused with a 4xx saying what to fix, or
read, split, enriched and finalized with every row the create counted once in the results.

The bytes are built from the pieces real exports and broken files are made of (delimiters,
quotes, line breaks, byte order marks, NUL, stray cp1252 and cut UTF-8 bytes, formula signs,
header words the mapper knows, emails), plus raw random bytes; on the in-memory fakes, so
hundreds of files take seconds. A crash, a 5xx, a batch left unfinished or a row lost or
counted twice between create, split and finalize fails it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.services.batches import submit
from chalicelib.services.ports import Clock, Ports
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import get_settings
from tests.fakes import fake_ports
from tests.helpers import Ticking, deliver, reload, results_rows

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))  # bounded in make test; more by hand
PIECES = [b",", b";", b"\t", b"|", b'"', b'""', b"\r\n", b"\n", b"\r", b"\n\n", b" ", b"\x00",
          b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xe9", b"\x80", b"\xc3", b"\xe2\x82",
          b"caf\xc3\xa9", b"=cmd|' /C calc'!A0", b"+1 415 555 0100", b"-", b"@SUM(1)", b"\x0b",
          "\u2028".encode(), b"email", b"Email Address", b"phone",
          b"first_name", b"company", b"website", b"name", b"id", b"zip", b"x" * 300,
          b"person@example.com", b"a@b", b"https://example.com", b"#", b"Report 2024"]
HEADERS = [b"email", b"Email Address", b"phone", b"first_name", b"company", b"website", b"name",
           b"id", b"zip", b"handle", b"E-Mail", b'"email"', b"Notes"]


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    """A header the mapper knows above rows of any pieces, under one delimiter and line end."""
    delimiter = draw(st.sampled_from([b",", b";", b"\t", b"|"]))
    end = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=5))
    cell = st.lists(st.sampled_from(PIECES), max_size=4).map(b"".join)
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=8))
    return end.join(delimiter.join(row) for row in [header, *rows])


csv_bytes = st.one_of(
    tables(),
    st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join),
    st.binary(max_size=200),
    st.lists(st.lists(st.sampled_from(PIECES[24:]), min_size=1, max_size=4), min_size=1,
             max_size=8).map(lambda rows: b"\r\n".join(b",".join(r) for r in rows)),
)


def _ports() -> Ports:
    return fake_ports(get_settings(), Clock(epoch=Ticking(1_760_000_000.0), sleep=lambda _: None))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=csv_bytes, entity_type=st.sampled_from([None, "person", "company", "place", "creator"]),
       dedupe=st.booleans())
def test_any_bytes_are_refused_with_a_4xx_or_enriched_with_every_counted_row_once(
        data: bytes, entity_type: str | None, dedupe: bool) -> None:
    ports = _ports()
    tenant = create_tenant(ports, "Fuzz", 10**6)
    try:
        submitted = submit(ports, tenant.tenant_id, data, "fuzz.csv",
                           BatchOptions.model_validate({"entity_type": entity_type, "dedupe": dedupe}))
    except DomainError as refused:
        event(f"refused {refused.status}")
        assert 400 <= refused.status < 500, refused
        assert str(refused).strip(), "a refusal says what to fix"
        return
    event("accepted")
    deliver(ports)
    batch = reload(ports, submitted.batch)
    assert batch.status is BatchStatus.COMPLETED, batch
    counted = submitted.intake.report.rows
    assert batch.total_rows == counted
    assert batch.counts.settled == counted
    rows = results_rows(ports, batch)
    assert [int(r["row_index"]) for r in rows] == list(range(counted))
    assert batch.credits_spent == sum(int(r["enrich_credits"]) for r in rows)
