"""Issue 11: what the five customers in shared/seeds do today, end to end through the REST API:
creator handles with a platform (000), claimable anonymous uploads (001), ids of stored records
(002-004) and row ids grouped by status (003)."""

from __future__ import annotations

from typing import Any

from tests.agreement import assert_agree, books
from tests.api_client import MULTIPART, Http, detail_locs, error, multipart
from tests.conftest import ADMIN_KEY, Aws

HANDLES = b"natgeo\r\nnasa\r\n@bad..handle\r\n"


def _upload(http: Http, key: str, data: bytes, **fields: str) -> Any:
    return http.call("POST", "/v1/batches", key, multipart(fields, ("creators.csv", data)), MULTIPART)


def test_seed_000_bare_handles_with_the_platform_field(http: Http, aws: Aws) -> None:
    """A one-column file of handles and ``platform`` (was 422 extra_forbidden)."""
    tenant = aws.tenant(100)

    created = _upload(http, tenant.api_key, b"handle\r\n" + HANDLES, platform="instagram")
    assert created.status == 202, created.raw
    aws.drain()

    found = books(http, aws, tenant, created.json()["batch_id"])
    assert found.status["entity_type"] == "creator"
    assert [r["creator.profile_url"] for r in found.results] == [
        "https://www.instagram.com/natgeo/", "https://www.instagram.com/nasa/", ""]
    assert found.status["credits_spent"] == 2
    assert_agree(found)


def test_seed_000_a_header_named_after_the_platform_sets_it(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    created = _upload(http, tenant.api_key, b"TikTok\r\n" + HANDLES)
    aws.drain()

    body = created.json()
    assert body["input"]["platform"] == "tiktok"
    found = books(http, aws, tenant, body["batch_id"])
    assert found.results[0]["creator.profile_url"] == "https://www.tiktok.com/@natgeo"


def test_seed_000_creators_by_email_say_what_they_need_then_work_with_a_source(
        http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    emails = b"email\r\nada@example.com\r\nnobody@elsewhere.example\r\n"

    refused = error(_upload(http, tenant.api_key, emails, entity_type="creator"), 422)
    dataset = http.call("POST", "/v1/datasets", tenant.api_key, multipart(
        {"name": "creators"}, ("c.csv", b"email,handle,followers\r\nada@example.com,@ada,1200\r\n")),
        MULTIPART).json()
    http.send("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
              {"sources": [{"type": "dataset", "dataset_id": dataset["dataset_id"]}]})
    created = _upload(http, tenant.api_key, emails, entity_type="creator", mode="advanced")
    aws.drain()

    assert ["entity_type"] in detail_locs(refused) and "POST /v1/datasets" in refused["message"]
    found = books(http, aws, tenant, created.json()["batch_id"])
    assert [r["enrich_status"] for r in found.results] == ["completed", "not_found"]
    assert found.results[0]["waterfall.followers"] == "1200"
    assert_agree(found)


PEOPLE = (b"id,first_name,last_name,email,company\r\n"
          b"550e-1,John,Smith,john@acme.example,Acme\r\n"
          b"550e-2,Jane,Doe,not-an-email,TechCorp\r\n"
          b"550e-3,Ann,Lee,ann@lee.example,Lee Co\r\n")


def test_seeds_002_to_004_enrich_stored_records_by_their_ids(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)
    stored = http.call("POST", "/v1/datasets", tenant.api_key,
                       multipart({"name": "people"}, ("people.csv", PEOPLE)), MULTIPART).json()
    dataset_id = stored["dataset_id"]

    unknown = http.post_json("/v1/batches", tenant.api_key,
                             {"ids": ["550e-1", "nope-7"], "dataset_id": dataset_id})
    no_dataset = http.post_json("/v1/batches", tenant.api_key, {"ids": ["550e-1"]})
    created = http.post_json("/v1/batches", tenant.api_key, {
        "ids": ["550e-3", "550e-2"], "dataset_id": dataset_id, "entity_type": "person",
        "max_credits": 100})
    aws.drain()

    body = error(unknown, 422, "validation_error")
    assert ["ids", 1] in detail_locs(body) and "nope-7" in body["message"]
    assert ["dataset_id"] in detail_locs(error(no_dataset, 422, "validation_error"))
    assert stored["id_column"] == "id" and created.status == 202, created.raw
    found = books(http, aws, tenant, created.json()["batch_id"])
    assert [(r["id"], r["enrich_status"]) for r in found.results] == [
        ("550e-3", "completed"), ("550e-2", "not_found")]
    assert found.status["name"] == "people"
    assert_agree(found, ["550e-3", "550e-2"])


def test_seed_003_row_ids_grouped_by_status_on_request(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(2)
    records = [{"id": f"place-{i}", "email": f"p{i}@example.com" if i != 1 else "bad"}
               for i in range(5)]
    batch_id = http.post_json("/v1/batches", tenant.api_key,
                              {"records": records, "auto_resume": False}).json()["batch_id"]
    aws.drain()

    plain = http.status(tenant.api_key, batch_id)
    grouped = http.get(f"/v1/batches/{batch_id}?include=row_ids", tenant.api_key).json()
    other = http.get(f"/v1/batches/{batch_id}?include=everything", tenant.api_key)

    assert "row_ids" not in plain
    assert grouped["row_ids"]["by_status"] == {
        "pending": [], "completed": ["place-0", "place-2"], "not_found": ["place-1"],
        "failed": [], "skipped": [], "parked": ["place-3", "place-4"]}
    assert grouped["row_ids"]["complete"] is True and grouped["row_ids"]["limit_per_status"] == 1000
    assert ["query", "include"] in detail_locs(error(other, 422, "validation_error"))


def test_seed_001_an_anonymous_upload_reads_as_it_will_run(http: Http, aws: Aws) -> None:
    """#12: price 0 beside a cost estimate of 1; linking reset created_at; a literal {id};
    /preview refused the upload token that the status accepted."""
    aws.ports.settings = aws.ports.settings.model_copy(update={"anonymous_uploads": True})
    created = http.post_json("/v1/batches", None, {"records": [{"email": "ada@example.com"}]}).json()
    batch_id, token = created["batch_id"], created["upload_token"]

    waiting = http.get(f"/v1/batches/{batch_id}", authorization=f"Batch {token}").json()
    preview = http.get(f"/v1/batches/{batch_id}/preview", authorization=f"Batch {token}")
    tenant = aws.tenant(10)
    linked = http.post_json(f"/v1/batches/{batch_id}/link", tenant.api_key, {"upload_token": token})

    assert created["price_per_match"] == created["input"]["cost_estimate"]["price_per_match"] == 1
    assert "{" not in waiting["message"] and batch_id in waiting["message"]
    assert preview.status == 200 and preview.json()["batch_id"] == batch_id
    assert linked.status == 202 and linked.json()["created_at"] == created["created_at"]
