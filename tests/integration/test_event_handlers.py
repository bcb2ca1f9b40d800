"""Event handlers as Lambda calls them: partial batch responses, S3 test events, redrive to the DLQ."""

from __future__ import annotations

import json

import pytest

import app
from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.eventsource import LambdaContext, sqs_event
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import create_batch, peek_messages, take_messages


def _messages(*bodies: str) -> list[dict[str, str]]:
    return [{"MessageId": f"m-{n}", "ReceiptHandle": f"r-{n}", "Body": body}
            for n, body in enumerate(bodies)]


def test_a_poison_message_fails_alone_and_its_neighbours_settle(aws: Aws) -> None:
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(30), "a.csv", BatchOptions())
    aws.pump(topology.INGEST)
    good = peek_messages(aws.ports, topology.WORK)[0]
    event = sqs_event(_messages("{not json", good), "arn:aws:sqs:us-east-1:123456789012:w", "us-east-1")

    answer = app.work(event, LambdaContext("work"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    settled = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert settled is not None and settled.counts.completed == 30


def test_a_work_invocation_parses_each_chunk_message_once(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN four chunks of a basic-mode batch in one work invocation (a 500-row body costs the
    # function ~15 µs a row to parse: it was parsed twice, once to learn the batch's mode)
    tenant = aws.tenant(1000)
    create_batch(aws.ports, tenant.tenant_id, leads(2000), "a.csv", BatchOptions())
    aws.pump(topology.INGEST)
    bodies = peek_messages(aws.ports, topology.WORK)[:4]
    parsed: list[str] = []
    parse = ChunkMessage.model_validate_json

    def counted(body: str) -> ChunkMessage:
        parsed.append(body)
        return parse(body)

    monkeypatch.setattr(ChunkMessage, "model_validate_json", counted)
    event = sqs_event(_messages(*bodies), "arn:aws:sqs:us-east-1:123456789012:w", "us-east-1")
    # WHEN the work function runs them
    assert app.work(event, LambdaContext("work")) == {"batchItemFailures": []}
    # THEN each was parsed once
    assert sorted(parsed) == sorted(bodies)


def test_split_ignores_the_s3_test_event(aws: Aws) -> None:
    body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"})
    event = sqs_event(_messages(body), "arn:aws:sqs:us-east-1:123456789012:i", "us-east-1")

    assert app.split(event, LambdaContext("split")) == {"batchItemFailures": []}


def test_split_decodes_url_encoded_keys_as_aws_sends_them(aws: Aws) -> None:
    tenant = aws.tenant(10)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(3), "a.csv", BatchOptions())
    bodies = [json.loads(b) for b in peek_messages(aws.ports, topology.INGEST)]
    event_body = next(b for b in bodies if "Records" in b)  # the first one is s3:TestEvent
    record = event_body["Records"][0]
    record["s3"]["object"]["key"] = record["s3"]["object"]["key"].replace("/", "%2F")
    event = sqs_event(_messages(json.dumps(event_body)), "arn:aws:sqs:us-east-1:1:i", "us-east-1")

    assert app.split(event, LambdaContext("split")) == {"batchItemFailures": []}
    split = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert split is not None and split.status is BatchStatus.QUEUED and split.chunks_total == 1


def test_a_message_that_always_fails_moves_to_the_dlq_after_max_receives(aws: Aws) -> None:
    work = aws.ports.settings.name(topology.WORK.name)
    aws.ports.queue.send(work, ["{poison"])

    delivered = aws.pump(topology.WORK)

    assert delivered == topology.WORK.max_receive_count
    assert take_messages(aws.ports, topology.WORK, dead_letters=True) == ["{poison"]


def test_a_file_that_cannot_be_read_fails_its_batch_with_the_reason(aws: Aws) -> None:
    import io

    from chalicelib.services.batches import start_batch  # the streaming path skips the API checks

    tenant = aws.tenant(10)
    batch = start_batch(aws.ports, tenant.tenant_id, io.BytesIO(b"\x00\x01binary\x00"), "x.csv",
                        BatchOptions())

    aws.drain()

    failed = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert failed is not None and failed.status is BatchStatus.FAILED
    assert failed.message is not None and "NUL bytes" in failed.message
    assert not failed.has_results and aws.balance(tenant.tenant_id) == 10


def test_split_holds_back_while_the_work_queue_is_full(aws: Aws) -> None:
    from chalicelib.services.ports import Clock

    aws.ports.settings = aws.ports.settings.model_copy(
        update={"chunk_rows": 5, "max_queued_chunks": 10})
    work = aws.mappings[topology.WORK.name]
    waits: list[int] = []

    def drain_a_little(_: float) -> None:  # while split waits, workers take some chunks
        waits.append(work.outstanding())
        work.poll_once()

    aws.ports.clock = Clock(sleep=drain_a_little)
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(250), "a.csv", BatchOptions())

    aws.drain()

    done = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert done is not None and done.status is BatchStatus.COMPLETED and done.credits_spent == 250
    assert waits and max(waits) <= 10 + 10  # the bound, plus the batch of ten being sent
