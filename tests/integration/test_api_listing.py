"""Listing, results before the end, resume and cancel through the API."""

from __future__ import annotations

from tests.api_client import (
    Cases,
    Http,
    create,
    error,
)
from tests.conftest import Aws

# --- listing -------------------------------------------------------------------------------------


def test_list_pages_newest_first_with_a_cursor(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    first, second, third = (create(http, tenant.api_key, name=f"batch {i}") for i in range(3))

    page = http.get("/v1/batches?limit=2", tenant.api_key)

    assert page.status == 200
    body = page.json()
    assert [b["batch_id"] for b in body["batches"]] == [third, second]
    assert [b["name"] for b in body["batches"]] == ["batch 2", "batch 1"]
    assert body["next_cursor"]
    rest = http.get(f"/v1/batches?limit=2&cursor={body['next_cursor']}", tenant.api_key).json()
    assert [b["batch_id"] for b in rest["batches"]] == [first]
    assert rest["next_cursor"] is None
    everything = http.get("/v1/batches", tenant.api_key).json()
    assert [b["batch_id"] for b in everything["batches"]] == [third, second, first]
    assert everything["next_cursor"] is None


def test_list_with_a_bad_limit_is_a_422(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    cases = Cases()

    for limit in ("0", "abc", "-1", "2.5", "", "%C2%B2"):  # the last is "²", a digit to isdigit()
        with cases.case(f"limit={limit}"):
            body = error(http.get(f"/v1/batches?limit={limit}", tenant.api_key), 422, "validation_error")
            assert "limit" in body["message"], body

    cases.check()


def test_list_with_a_garbage_cursor_is_a_400(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    create(http, tenant.api_key)
    cases = Cases()

    for cursor in ("garbage", "____", "!!!", "%25%25", "...."):
        with cases.case(f"cursor={cursor}"):
            body = error(http.get(f"/v1/batches?cursor={cursor}", tenant.api_key), 400, "bad_input")
            assert "cursor" in body["message"], body

    cases.check()


# --- results before the end, resume, cancel ------------------------------------------------------


def test_results_before_the_batch_finished_are_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    cases = Cases()

    for path in ("results.csv", "results.csv?format=jsonl", "credits.csv"):
        with cases.case(path):
            body = error(http.get(f"/v1/batches/{batch_id}/{path}", tenant.api_key), 409, "conflict")
            assert "not ready" in body["message"], body

    cases.check()


def test_results_in_an_unknown_format_are_a_422(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    aws.drain()

    jsonl = http.get(f"/v1/batches/{batch_id}/results.csv?format=jsonl", tenant.api_key)
    assert jsonl.status == 302
    assert "rows.jsonl" in jsonl.headers["location"]
    body = error(http.get(f"/v1/batches/{batch_id}/results.csv?format=xml", tenant.api_key), 422)
    assert "format" in body["message"]


def test_resume_of_a_batch_that_is_not_paused_is_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)

    while_running = http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key)
    aws.drain()
    once_completed = http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key)

    assert "paused" in error(while_running, 409, "conflict")["message"]
    assert "completed" in error(once_completed, 409, "conflict")["message"]
    assert http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()["status"] == "completed"


def test_cancel_stops_the_batch_charges_nothing_and_a_second_cancel_is_a_409(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key, n=4)

    cancelled = http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key)

    assert cancelled.status == 202, cancelled.raw
    assert cancelled.json()["status"] == "cancelled"
    again = error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")
    assert "cancelled" in again["message"]
    aws.drain()
    body = http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()
    assert body["status"] == "cancelled"
    assert body["finished_at"] is not None
    assert body["credits_spent"] == 0
    assert aws.balance(tenant.tenant_id) == 100
    assert http.get(f"/v1/batches/{batch_id}/results.csv", tenant.api_key).status == 302
    error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")
    error(http.call("POST", f"/v1/batches/{batch_id}/resume", tenant.api_key), 409, "conflict")


def test_cancel_of_a_completed_batch_is_a_409_and_changes_nothing(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key)
    aws.drain()

    body = error(http.call("POST", f"/v1/batches/{batch_id}/cancel", tenant.api_key), 409, "conflict")

    assert "completed" in body["message"]
    assert http.get(f"/v1/batches/{batch_id}", tenant.api_key).json()["status"] == "completed"
