"""Every log line of a whole local batch (pause, top-up, resume, reprocess, a poison message):
JSON, carrying the ids of the request and the invocation it belongs to, and no personal data."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.api_client import Http, network_transport
from tests.served import free_port, serving

pytestmark = pytest.mark.e2e
ADMIN = "adm"
PORTS = range(8170, 8180)
# (first, last, email, phone as written, phone digits, street): distinctive, so a match is a leak.
PEOPLE = [
    ("Marguerite", "Vandersloot", "marguerite.vandersloot@gmail.com", "+1 415 555 0134", "4155550134",
     "1600 Amphitheatre Pkwy"),
    ("Thaddeus", "Okonkwo", "thaddeus.okonkwo@example.org", "(415) 555-0177", "4155550177",
     "221 Baker Street"),
    ("Priyanka", "Raghunathan", "priyanka.raghunathan@yahoo.com", "415.555.0112", "4155550112",
     "742 Evergreen Terrace"),
    ("Zebulon", "Featherstonehaugh", "zebulon.feathers@outlook.com", "+14155550145", "4155550145",
     "31 Spooner Street"),
    ("Annika", "Lindqvist", "annika.lindqvist@gmail.com", "415-555-0166", "4155550166",
     "12 Grimmauld Place"),
    ("Bartholomew", "Quisenberry", "bartholomew.at.nowhere", "", "", "4 Privet Drive"),  # not found
    ("Genevieve", "Oyelaran", "genevieve-no-address", "", "", "10 Downing Street"),  # not found
]
POISON = ("Oksana", "Hrytsenko", "oksana.hrytsenko@proton.me", "+1 415 555 0199", "4155550199")


def _csv() -> bytes:
    lines = ["first_name,last_name,email,phone,street"]
    lines += [f'{first},{last},{email},"{phone}",{street}' for first, last, email, phone, _, street in PEOPLE]
    return ("\n".join(lines) + "\n").encode()


def _personal() -> set[str]:
    values = {value for person in PEOPLE for value in person if value} | set(POISON)
    return values | {f"+1{person[4]}" for person in PEOPLE if person[4]}


def _wait(http: Http, key: str, batch_id: str, status: str) -> dict[str, Any]:
    for _ in range(900):
        body = http.status(key, batch_id)
        if body["status"] == status and (status != "completed" or body["results"]):
            return body
        time.sleep(0.1)
    raise AssertionError(f"batch never reached {status}: {body}")


def _lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    found = []
    for line in text.splitlines():
        parsed = json.loads(line)  # every line of standard error is one JSON object
        assert isinstance(parsed, dict), line
        found.append(parsed)
    return found


@pytest.fixture
def logged_batch(tmp_path: Path) -> Iterator[tuple[list[dict[str, Any]], str, dict[str, str], str]]:
    """Run a batch through pause, top-up, resume and reprocess on ``serve``; its stderr as lines."""
    log = tmp_path / "serve.stderr"
    with log.open("wb") as stderr, serving(free_port(PORTS), ADMIN, stderr=stderr) as served:
        http = Http(network_transport(served.base))
        created = http.post_json("/v1/admin/tenants", ADMIN, {"name": "Acme", "credits": 2}).json()
        key, tenant_id = created["api_key"], created["tenant_id"]
        ids: dict[str, str] = {}
        upload = http.upload(key, _csv(), {"name": "people"})
        batch_id, ids["create"] = upload.json()["batch_id"], upload.headers["x-request-id"]
        _wait(http, key, batch_id, "paused_insufficient_credits")
        topped = http.post_json(f"/v1/admin/tenants/{tenant_id}/credits", ADMIN, {"amount": 50})
        ids["top_up"] = topped.headers["x-request-id"]
        _wait(http, key, batch_id, "completed")
        again = http.post_json(f"/v1/batches/{batch_id}/reprocess", key, {"incomplete_only": True})
        assert again.status == 202, again.raw
        ids["reprocess"] = again.headers["x-request-id"]
        done = _wait(http, key, batch_id, "completed")
        assert done["counts"]["not_found"] == 2 and done["credits_spent"] == 5
        _poison(served.aws_endpoint, tenant_id, batch_id)
        for _ in range(300):
            if '"record failed"' in log.read_text():
                break
            time.sleep(0.1)
    yield _lines(log), batch_id, ids, tenant_id


def _poison(endpoint: str, tenant_id: str, batch_id: str) -> None:
    """A work message that does not parse, whose values are a person's (it goes to the DLQ)."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.get_queue_url(QueueName="batch-enrich-work")["QueueUrl"]
    first, last, email, phone, _ = POISON
    body = {"tenant_id": tenant_id, "batch_id": batch_id, "chunk": 0, "part": f"{first} {last}",
            "rows": [{"i": 0, "v": [email, phone]}]}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def test_every_line_is_json_with_its_ids_and_no_personal_data(
    logged_batch: tuple[list[dict[str, Any]], str, dict[str, str], str],
) -> None:
    lines, batch_id, ids, tenant_id = logged_batch
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).lower()
    leaked = sorted(value for value in _personal() if value.lower() in text)
    assert not leaked, f"personal data in the log lines: {leaked}"

    assert all(line.get("function_request_id") and line.get("function_name") for line in lines), [
        line for line in lines if not line.get("function_request_id")]
    ticks = {line["function_request_id"] for line in lines if line["function_name"] == "tick"}
    api_calls = {line["request_id"] for line in lines if line["message"] == "request"}
    assert set(ids.values()) <= api_calls
    ours = [line for line in lines if line.get("batch_id") == batch_id]
    assert all(line.get("tenant_id") == tenant_id for line in ours)
    # Every line of the batch names the API call (or the tick) its work was caused by; the poison
    # message was sent by nobody.
    assert all(line.get("request_id") in api_calls | ticks for line in ours
               if line["message"] != "record failed"), ours
    worked = [line for line in ours if line["message"] == "chunk worked"]
    assert all(isinstance(line.get("chunk"), int) and isinstance(line.get("part"), int) for line in worked)

    def caused_by(message: str, **fields: Any) -> set[str]:
        return {line["request_id"] for line in ours if line["message"] == message
                and all(line.get(k) == v for k, v in fields.items())}

    assert caused_by("request", route="/v1/batches") == {ids["create"]}
    assert caused_by("split") == {ids["create"]}
    assert caused_by("chunk worked", outcome="parked") == {ids["create"]}
    resumed_by = caused_by("chunk worked", outcome="settled", part=1)
    assert resumed_by == {ids["top_up"]} or resumed_by <= ticks  # the top-up, or a tick before it
    assert caused_by("chunk worked", part=2) == {ids["reprocess"]}
    assert ids["reprocess"] in caused_by("finalized")
    failed = [line for line in ours if line["message"] == "record failed"]
    assert failed and all(line["exception_name"] == "ValidationError" and line.get("message_id")
                          for line in failed)
