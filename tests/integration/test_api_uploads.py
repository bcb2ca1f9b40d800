"""POST /v1/uploads through Chalice's test client on moto: the form, the waiting batch, refusals."""

from __future__ import annotations

import base64
import json

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
