"""Issue 11, findings 3-6, 8 and 13 through the REST API: the numbers of one batch agree everywhere
(status body, /rows, summary.json, credits.csv, the ledger) after row_limit pauses, caps, cancels
and reprocessing with refresh; a row keeps its place in the file."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import CanonicalRecord, EnricherResult
from chalicelib.domain.enrich.email import EmailEnricher
from tests.agreement import assert_agree, books
from tests.api_client import MULTIPART, Http, error, multipart
from tests.conftest import ADMIN_KEY, Aws


def _records(n: int, bad: frozenset[int] = frozenset()) -> list[dict[str, str]]:
    return [{"id": f"R{i}", "email": f"nobody{i}@@bad" if i in bad else f"p{i}@example.com"}
            for i in range(n)]


def _create(http: Http, key: str, **body: Any) -> str:
    reply = http.post_json("/v1/batches", key, body)
    assert reply.status == 202, reply.raw
    return str(reply.json()["batch_id"])


def test_row_index_is_the_rows_place_in_the_file_blank_lines_counted(http: Http, aws: Aws) -> None:
    """#3: in a 30-line file with 4 blank lines, row_index 6 was the file's data row 8."""
    tenant = aws.tenant(100)
    blank = {3, 10, 17, 25}
    lines = ["" if n in blank else f"R{n},p{n}@example.com" for n in range(30)]
    data = ("id,email\r\n" + "\r\n".join(lines) + "\r\n").encode()
    batch_id = http.upload(tenant.api_key, data).json()["batch_id"]
    aws.drain()

    found = books(http, aws, tenant, batch_id)

    assert [row["id"] for row in found.results] == ["" if n in blank else f"R{n}" for n in range(30)]
    assert found.results[8]["row_index"] == "8" and found.results[8]["id"] == "R8"
    assert [r["enrich_error"] for r in found.results if r["id"] == ""] == ["blank_line"] * 4
    assert found.status["counts"]["skipped"] == 4 and found.status["credits_spent"] == 26
    assert_agree(found)


def test_cancel_of_a_capped_batch_counts_its_parked_rows_as_skipped_everywhere(
        http: Http, aws: Aws) -> None:
    """#4: after cancel the status body said parked 9, skipped 0; summary.json said skipped 9."""
    tenant = aws.tenant(100)
    batch_id = _create(http, tenant.api_key, records=_records(12), max_credits=3, auto_resume=False)
    aws.drain()
    assert http.status(tenant.api_key, batch_id)["counts"]["parked"] == 9

    cancelled = http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key)
    at_once = cancelled.json()["counts"]
    aws.drain()

    found = books(http, aws, tenant, batch_id)
    assert (at_once["parked"], at_once["skipped"]) == (0, 9)
    assert found.status["counts"]["parked"] == 0 and found.status["counts"]["skipped"] == 9
    assert_agree(found, [f"R{i}" for i in range(12)])
    # #13: rows never processed keep their row_id, and a reason saying why
    unprocessed = found.results[3:]
    assert [r["row_id"] for r in unprocessed] == [f"R{i}" for i in range(3, 12)]
    assert {r["enrich_error"] for r in unprocessed} == {"cancelled_before_processing"}


def test_refresh_charges_are_all_in_credits_csv_and_summary(http: Http, aws: Aws) -> None:
    """#5: after refresh, credits_spent 8 and two ledger charges of 4, but summary.json said 4."""
    tenant = aws.tenant(100)
    batch_id = _create(http, tenant.api_key, records=_records(4))
    aws.drain()
    refreshed = http.post_json(f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {"refresh": True})
    assert refreshed.status == 202, refreshed.raw
    aws.drain()

    found = books(http, aws, tenant, batch_id)

    assert found.status["credits_spent"] == 8 == found.ledger_charged == 100 - aws.balance(tenant.tenant_id)
    assert found.summary is not None and found.summary["credits"] == 8
    assert len(found.credits_lines) == 8  # one line per charge: each row twice
    assert {line["ledger_entry"] for line in found.credits_lines} == {
        f"charge#{batch_id}#000000#000", f"charge#{batch_id}#000000#001"}
    assert [r["enrich_credits"] for r in found.results] == ["2"] * 4  # each row was charged twice
    assert_agree(found, [f"R{i}" for i in range(4)])


def test_rows_over_row_limit_are_skipped_not_parked_and_cost_nothing_to_finish(
        http: Http, aws: Aws) -> None:
    """#6: row_limit=20 on 26 rows with 5 credits paused with parked 18 and a 402 asking 18."""
    tenant = aws.tenant(5)
    batch_id = _create(http, tenant.api_key, records=_records(26, bad=frozenset({7, 8, 9})), row_limit=20)
    aws.drain()

    paused = books(http, aws, tenant, batch_id)
    refused = error(http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key), 402)

    assert paused.status["status"] == "paused_insufficient_credits"
    counts = paused.status["counts"]
    assert (counts["completed"], counts["parked"], counts["skipped"]) == (5, 15, 6)
    assert paused.rows_by_status["parked"] == 15 and paused.rows_by_status["skipped"] == 6
    assert refused["details"]["credits_to_finish"] == 12  # 3 of the 15 parked rows found nothing
    assert [r["outputs"] for r in paused.rows if r["status"] == "parked"] == [{}] * 15
    assert_agree(paused)
    topped = http.call("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                       b'{"amount": 12}', "application/json")
    assert topped.status == 200, topped.raw
    aws.drain()
    done = books(http, aws, tenant, batch_id)
    assert done.status["status"] == "completed" and aws.balance(tenant.tenant_id) == 0
    assert_agree(done, [f"R{i}" for i in range(26)])


def test_require_full_balance_is_bounded_by_the_cap(http: Http, aws: Aws) -> None:
    """#8: a cap of 5 with a balance of 10 still got 402 credits_required 26."""
    tenant = aws.tenant(10)
    configured = http.call("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
                           b'{"require_full_balance": true}', "application/json")
    assert configured.status == 200, configured.raw

    capped = http.post_json("/v1/batches", tenant.api_key, {"records": _records(26), "max_credits": 5})
    uncapped = error(http.post_json("/v1/batches", tenant.api_key, {"records": _records(26)}), 402)
    preflight = http.post_json("/v1/batches/preflight", tenant.api_key,
                               {"records": _records(26), "max_credits": 5}).json()

    assert capped.status == 202, capped.raw
    assert uncapped["credits_required"] == 26 and uncapped["credits_remaining"] == 10
    assert preflight["cost_estimate"]["max"] == 5


def test_incomplete_only_takes_only_rows_not_settled(http: Http, aws: Aws) -> None:
    """#13: incomplete_only re-enqueued not_found rows; seed 003 means pending/queued/in progress."""
    tenant = aws.tenant(2)
    batch_id = _create(http, tenant.api_key, records=_records(6, bad=frozenset({1})), auto_resume=False)
    aws.drain()
    http.call("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
              b'{"amount": 10}', "application/json")

    again = http.post_json(f"/v1/batches/{batch_id}/reprocess", tenant.api_key, {"incomplete_only": True})
    aws.drain()
    settled = error(http.post_json(f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                                   {"incomplete_only": True}), 422)

    assert again.status == 202 and again.json()["reprocessing_rows"] == 3
    assert "incomplete" in settled["message"]
    found = books(http, aws, tenant, batch_id)
    assert found.status["status"] == "completed" and found.status["counts"]["not_found"] == 1
    assert_agree(found, [f"R{i}" for i in range(6)])


def test_a_multipart_blank_line_file_reads_the_same_in_preflight(http: Http, aws: Aws) -> None:
    """#3: preflight counts the blank line as a row of its own, skipped as blank_line."""
    tenant = aws.tenant(10)
    body = multipart(file=("a.csv", b"email\r\na@example.com\r\n\r\nb@example.com\r\n"))

    got = http.call("POST", "/v1/batches/preflight", tenant.api_key, body, MULTIPART).json()

    assert (got["rows"], got["usable"], got["skipped_by_reason"]) == (3, 2, {"blank_line": 1})


def test_incomplete_only_with_refresh_enriches_the_parked_rows_again(
        http: Http, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parked rows keep their enrichment for the resume (no vendor paid twice), unless refresh."""
    calls: list[str] = []
    real = EmailEnricher.enrich

    def counted(self: EmailEnricher, record: CanonicalRecord) -> EnricherResult:
        calls.append(record.get("email", ""))
        return real(self, record)

    monkeypatch.setattr(EmailEnricher, "enrich", counted)
    plain, fresh = aws.tenant(2), aws.tenant(2)
    ids = [_create(http, tenant.api_key, records=_records(6), auto_resume=False)
           for tenant in (plain, fresh)]
    aws.drain()
    for tenant in (plain, fresh):
        http.call("POST", f"/v1/admin/tenants/{tenant.tenant_id}/credits", ADMIN_KEY,
                  b'{"amount": 10}', "application/json")
    enriched_first = len(calls)

    for tenant, batch_id, refresh in ((plain, ids[0], False), (fresh, ids[1], True)):
        calls.clear()
        reply = http.post_json(f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                               {"incomplete_only": True, "refresh": refresh})
        assert reply.status == 202, reply.raw
        aws.drain()
        assert len(calls) == (4 if refresh else 0), (refresh, calls)
        assert_agree(books(http, aws, tenant, batch_id), [f"R{i}" for i in range(6)])
        # refresh: the vendor answers kept before it are not reused either (the result cache)
        stored = aws.ports.batches.get(tenant.tenant_id, batch_id)
        assert stored is not None and (stored.refresh_after is not None) == refresh
    assert enriched_first == 12


def test_incomplete_only_and_failed_only_together_are_a_422_naming_both(http: Http, aws: Aws) -> None:
    """Two kinds of rows asked at once: the answer says to pick one (and says it plainly)."""
    tenant = aws.tenant(2)
    batch_id = _create(http, tenant.api_key, records=_records(6), auto_resume=False)
    aws.drain()

    both = error(http.post_json(f"/v1/batches/{batch_id}/reprocess", tenant.api_key,
                                {"incomplete_only": True, "failed_only": True}), 422)

    assert "failed_only" in both["message"] and "incomplete_only" in both["message"]
    assert "Value error" not in both["message"]
