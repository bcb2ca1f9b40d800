"""Every line ``serve`` writes during a whole local batch (pause, top-up, resume, reprocess, its
webhook deliveries, a poison message): JSON, carrying the ids of the request and the invocation
it belongs to, no personal data; and the metrics (EMF lines) of the batch's known outcomes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib import topology
from tests.api_client import Http, network_transport
from tests.served import free_port, serving
from tests.webhook_receiver import Receiver

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


@dataclass(frozen=True)
class Logged:
    """What a run of the batch wrote and answered."""

    lines: list[dict[str, Any]]
    batch_id: str
    ids: dict[str, str]
    tenant_id: str
    timeline: dict[str, Any]
    stats: dict[str, Any]


@pytest.fixture(scope="module")
def logged_batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    """Run a batch through pause, top-up, resume and reprocess on ``serve``; its stderr as lines."""
    log = tmp_path_factory.mktemp("serve") / "serve.stderr"
    with pytest.MonkeyPatch.context() as env, Receiver(500, 200) as receiver:
        env.setenv("BATCH_ENRICH_WEBHOOK_RETRY_BASE_SECONDS", "1")  # the 500 is retried in ~1 s
        with log.open("wb") as stderr, serving(free_port(PORTS), ADMIN, stderr=stderr) as served:
            yield _run(served.base, served.aws_endpoint, log, receiver)


def _run(base: str, aws_endpoint: str, log: Path, receiver: Receiver) -> Logged:
    """The batch, told to the receiver: paused (a 500, then a 200), completed, completed again."""
    http = Http(network_transport(base))
    created = http.post_json("/v1/admin/tenants", ADMIN, {"name": "Acme", "credits": 2}).json()
    key, tenant_id = created["api_key"], created["tenant_id"]
    receiver.secret = http.post_json("/v1/webhooks/secret", key, {}).json()["secret"]
    ids: dict[str, str] = {}
    upload = http.upload(key, _csv(), {"name": "people", "webhook_url": receiver.url})
    batch_id, ids["create"] = upload.json()["batch_id"], upload.headers["x-request-id"]
    _wait(http, key, batch_id, "paused_insufficient_credits")
    topped = http.post_json(f"/v1/admin/tenants/{tenant_id}/credits", ADMIN, {"amount": 50})
    ids["top_up"] = topped.headers["x-request-id"]
    _wait(http, key, batch_id, "completed")
    again = http.post_json(f"/v1/batches/{batch_id}/reprocess", key, {"failed_only": False})
    assert again.status == 202, again.raw
    ids["reprocess"] = again.headers["x-request-id"]
    done = _wait(http, key, batch_id, "completed")
    assert done["counts"]["not_found"] == 2 and done["credits_spent"] == 5
    timeline = http.get(f"/v1/batches/{batch_id}/timeline", key).json()
    stats = http.get("/v1/admin/stats", ADMIN).json()
    _poison(aws_endpoint, tenant_id, batch_id)
    assert [r.answered for r in receiver.wait_for(4, timeout=60)] == [500, 200, 200, 200]
    for _ in range(300):  # an invocation's metrics are written when it ends
        if '"record failed"' in log.read_text() and _attempts_written(log) >= 4:
            break
        time.sleep(0.1)
    return Logged(_lines(log), batch_id, ids, tenant_id, timeline, stats)


def _attempts_written(log: Path) -> float:
    """The webhook attempts the EMF lines written so far count."""
    whole = log.read_text().rsplit("\n", 1)[0]  # the last line may be half written
    return sum(sum(json.loads(line).get("WebhookAttempts", [])) for line in whole.splitlines()
               if '"WebhookAttempts"' in line)


def _poison(endpoint: str, tenant_id: str, batch_id: str) -> None:
    """A work message that does not parse, whose values are a person's (it goes to the DLQ)."""
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.get_queue_url(QueueName="batch-enrich-work")["QueueUrl"]
    first, last, email, phone, _ = POISON
    body = {"tenant_id": tenant_id, "batch_id": batch_id, "chunk": 0, "part": f"{first} {last}",
            "rows": [{"i": 0, "v": [email, phone]}]}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))


def test_every_line_is_json_with_its_ids_and_no_personal_data(logged_batch: Logged) -> None:
    every, batch_id, ids, tenant_id = logged_batch.lines, logged_batch.batch_id, logged_batch.ids, \
        logged_batch.tenant_id
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in every).lower()
    leaked = sorted(value for value in _personal() if value.lower() in text)
    assert not leaked, f"personal data in the log lines: {leaked}"

    assert all(line.get("function_request_id") and line.get("function_name") for line in every), [
        line for line in every if not line.get("function_request_id")]
    lines = [line for line in every if "_aws" not in line]  # log lines (the rest are metrics)
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
    # the deliver function's lines name the batch, its tenant and the step whose write they tell
    attempts = [line for line in ours if line["message"] == "webhook attempt"]
    assert len(attempts) == 4 and all(line["function_name"] == "deliver" and line.get("message_id")
                                      and line["delivery_id"].startswith("msg_") for line in attempts)
    assert ids["create"] in caused_by("webhook attempt")  # the pause the create's work ran into
    failed = [line for line in ours if line["message"] == "record failed"]
    assert failed and all(line["exception_name"] == "ValidationError" and line.get("message_id")
                          for line in failed)


def _emf_totals(lines: list[dict[str, Any]]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every metric of the EMF lines, summed per name and dimension values (service aside)."""
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for line in lines:
        if "_aws" not in line:
            continue
        (declared,) = line["_aws"]["CloudWatchMetrics"]
        assert declared["Namespace"] == "BatchEnrich"
        dimensions = max(declared["Dimensions"], key=len)  # by value (the others are totals)
        labels = tuple(sorted((name, line[name]) for name in dimensions if name != "service"))
        for metric in declared["Metrics"]:
            key = (metric["Name"], labels)
            totals[key] = totals.get(key, 0) + sum(line[metric["Name"]])
    return totals


def test_the_metrics_count_what_happened_to_the_batch(logged_batch: Logged) -> None:
    # GIVEN 7 rows (5 match, 2 find nothing) and 2 credits: 2 rows settle, 5 park, the batch
    # pauses; a top-up resumes it (3 more match), then the 2 not found are reprocessed.
    totals = _emf_totals(logged_batch.lines)
    counted = {name: value for (name, labels), value in totals.items() if not labels}
    # THEN the EMF lines say exactly that
    assert counted["RowsMatched"] == 5 and counted["CreditsCharged"] == 5
    assert counted["RowsNotFound"] == 4  # twice the same 2 rows: the run, then the reprocess
    assert counted["RowsParked"] == 5 and counted["ChunksParked"] == 1
    assert counted["ChunksSettled"] == 2  # the resumed part, the reprocessed part
    assert "RowsFailed" not in counted and "RowsSkipped" not in counted  # zero is not written
    assert totals[("BatchesPaused", (("reason", "balance"),))] == 1
    assert counted["BatchesCreated"] == counted["BatchesResumed"] == counted["BatchesReprocessed"] == 1
    assert counted["BatchesCompleted"] == 2  # completed, then completed again after the reprocess
    assert counted["SplitRows"] == 7 and counted["SplitRowsPerSecond"] > 0
    # AND its webhook: paused (answered 500, then 200 on the retry), completed twice (200)
    paused, completed = ("event", "batch.paused"), ("event", "batch.completed")
    assert totals[("WebhookEvents", (paused,))] == 1 and totals[("WebhookEvents", (completed,))] == 2
    assert totals[("WebhookAttempts", (("answer", "5xx"), paused))] == 1
    assert totals[("WebhookAttempts", (("answer", "2xx"), paused))] == 1
    assert totals[("WebhookAttempts", (("answer", "2xx"), completed))] == 2
    assert totals[("WebhookDeliveries", (paused, ("outcome", "succeeded")))] == 1
    assert totals[("WebhookDeliveries", (completed, ("outcome", "succeeded")))] == 2
    assert counted["WebhookLatency"] > 0


def test_the_timeline_of_the_paused_and_resumed_batch_sums_to_its_credits_spent(
        logged_batch: Logged) -> None:
    timeline = logged_batch.timeline
    steps = [step["step"] for step in timeline["steps"]]
    assert steps[:4] == ["created", "split", "charged", "paused"]
    assert steps[-4:] == ["charged", "completed", "reprocess", "completed"]  # nothing charged again
    resumed = steps.index("resumed")
    by = timeline["steps"][resumed]["by"]
    # the top-up resumed it (its step first), or a tick got there between the top-up and its resume
    assert (by == "top_up" and steps[resumed - 1] == "topped_up") or by == "tick"
    paused = timeline["steps"][3]
    assert (paused["reason"], paused["balance"], paused["rows"]) == ("balance", 0, 5)
    charged = [step["credits"] for step in timeline["steps"] if step["step"] == "charged"]
    assert charged == [2, 3]
    assert sum(step["credits"] for step in timeline["steps"]) == timeline["credits_spent"] == 5


def test_admin_stats_answer_live_counts(logged_batch: Logged) -> None:
    stats = logged_batch.stats
    assert set(stats["queues"]) == set(stats["dead_letters"]) == {q.name for q in topology.QUEUES}
    assert stats["open_batches"] == {"total": 0, "by_status": {}}  # the one batch has completed
    assert isinstance(stats["rows_per_second"], float | int) and stats["rows_per_second"] >= 0
