"""POST /v1/uploads through Chalice's test client on moto: the form, the waiting batch, refusals."""

from __future__ import annotations

import base64
import json

from chalicelib import topology
from tests.api_client import Http, detail_locs, error
from tests.conftest import Aws


def test_the_answer_is_the_waiting_batch_and_a_form_for_exactly_its_key(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    created = http.post_json("/v1/uploads", key, {"filename": "leads.csv", "size": 123_456_789,
                                                  "name": "Big", "max_credits": 50})
    assert created.status == 201, created.raw
    body = created.json()
    assert (body["status"], body["name"], body["max_credits"]) == ("awaiting_upload", "Big", 50)
    form = body["upload"]
    fields = form["fields"]
    assert fields["key"].startswith("uploads/t_") and fields["key"].endswith(f"/{body['batch_id']}/input.csv")
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4, accepted in every region
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert {"key": fields["key"]} in policy["conditions"]
    assert ["content-length-range", 1, aws.ports.settings.upload_form_max_bytes] in policy["conditions"]
    assert http.status(key, body["batch_id"])["status"] == "awaiting_upload"


def test_bad_requests_say_what_to_fix(aws: Aws, http: Http) -> None:
    key = aws.tenant(100).api_key
    cases = [({"size": 10}, ["filename"]), ({"filename": "a.csv"}, ["size"]),
             ({"filename": "a.csv", "size": 0}, ["size"]),
             ({"filename": "../a.csv", "size": 1}, ["filename"]),
             ({"filename": "a.csv", "size": 1, "colour": "red"}, ["colour"]),
             ({"filename": "a.csv", "size": 1, "mode": "turbo"}, ["mode"])]
    for body, loc in cases:
        refused = error(http.post_json("/v1/uploads", key, body), 422)
        assert loc in [locs[-1:] for locs in detail_locs(refused)], body
    too_big = error(http.post_json("/v1/uploads", key, {"filename": "a.csv", "size": 6 * 1024**3}), 422)
    assert "size" in too_big["message"]
    error(http.post_json("/v1/uploads", None, {"filename": "a.csv", "size": 1}), 401)
    assert http.get("/v1/batches", key).json()["batches"] == []


def test_the_drop_folder_route_names_the_callers_own_folders_and_the_limits(aws: Aws, http: Http) -> None:
    # GIVEN two tenants
    first, second = aws.tenant(100), aws.tenant(100)
    bucket = aws.ports.settings.bucket
    # WHEN each asks where its files go
    mine = http.get("/v1/drop-folder", first.api_key)
    theirs = http.get("/v1/drop-folder", second.api_key).json()
    # THEN each gets its own folders, in the forms the drop folder and schedules read
    assert mine.status == 200, mine.raw
    body = mine.json()
    assert body == {"bucket": bucket, "inbox": f"s3://{bucket}/inbox/{first.tenant_id}/",
                    "outbox": f"s3://{bucket}/outbox/{first.tenant_id}/",
                    "sources": f"s3://{bucket}/sources/{first.tenant_id}/", "sidecar_suffix": ".json",
                    "max_rows_per_file": aws.ports.settings.max_rows_per_file,
                    "max_file_bytes": aws.ports.settings.upload_form_max_bytes}
    assert theirs["inbox"] == f"s3://{bucket}/inbox/{second.tenant_id}/"
    error(http.get("/v1/drop-folder", None), 401)
    error(http.call("GET", "/v1/drop-folder?tenant=t_other", first.api_key), 422)


def test_a_batch_cancelled_before_its_file_came_closes_at_once_with_nothing_to_finalize(
    aws: Aws, http: Http,
) -> None:
    # GIVEN a batch awaiting its presigned upload
    key = aws.tenant(100).api_key
    made = http.post_json("/v1/uploads", key, {"filename": "leads.csv", "size": 1000}).json()
    # WHEN the customer cancels it
    cancelled = http.call("POST", f"/v1/batches/{made['batch_id']}/cancel", key)
    # THEN it is cancelled and finished, uncharged, and no finalize is asked for a file that never
    # came (it looked for the input until its message went to the dead-letter queue)
    assert cancelled.status == 202, cancelled.raw
    body = http.status(key, made["batch_id"])
    assert (body["status"], body["credits_spent"]) == ("cancelled", 0)
    assert body["finished_at"] and body["message"] == "Cancelled by the customer before its file came."
    assert aws.ports.queue.depth(aws.ports.queue_name(topology.FINALIZE)) == 0
    steps = http.get(f"/v1/batches/{made['batch_id']}/timeline", key).json()["steps"]
    assert [step["step"] for step in steps] == ["created", "cancelled"]
    error(http.call("POST", f"/v1/batches/{made['batch_id']}/cancel", key), 409)
