"""Basic parts travel ten to an invocation (their own queue), advanced parts four (theirs): an
invocation's fixed requests are shared by ten basic parts, and a small advanced batch still
spreads over several invocations."""

from __future__ import annotations

from chalicelib import topology
from chalicelib.domain.options import BatchOptions
from chalicelib.local.counting import RequestCounter
from chalicelib.services.datasets import create_dataset
from chalicelib.services.sources import configure
from chalicelib.sources.spec import TenantConfig
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import charged, create_batch, reload


def test_one_poll_works_ten_basic_parts_with_one_invocations_requests(aws: Aws) -> None:
    # GIVEN a basic batch of ten 100-row chunks queued for work (a heartbeat of a minute: its
    # beats are 20 s apart, longer than the invocation)
    aws.ports.settings = aws.ports.settings.model_copy(update={"heartbeat_seconds": 60})
    tenant = aws.tenant(10_000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(1000), "ten.csv", BatchOptions())
    aws.pump(topology.INGEST)
    counter = RequestCounter().attach()

    # WHEN basic mode's work queue is polled once
    held = aws.mappings[topology.WORK.name].poll_once()
    calls = dict(counter.calls)

    # THEN one invocation worked all ten parts: one receive (hiding them for the heartbeat's
    # window, so no beat repeats it), one delete, one settle transaction, one read of the batch
    # and its tenant together and one finalize check between them
    assert held == 10
    worked = reload(aws.ports, batch)
    assert worked.chunks_done == 10
    assert calls["sqs.ReceiveMessage"] == 1
    assert "sqs.ChangeMessageVisibilityBatch" not in calls
    assert calls["sqs.DeleteMessageBatch"] == 1
    assert calls["dynamodb.TransactWriteItems"] == 1
    assert calls["dynamodb.BatchGetItem"] == 1
    assert calls["dynamodb.GetItem"] == 1
    assert charged(aws.ports, tenant.tenant_id) == worked.credits_spent == worked.counts.completed


def test_an_advanced_batch_of_ten_parts_goes_four_to_an_invocation(aws: Aws) -> None:
    # GIVEN an advanced batch of ten chunks (the tests' chunks are 100 rows in both modes)
    tenant = aws.tenant(10_000)
    dataset = create_dataset(aws.ports, tenant.tenant_id, b"email,title\r\na@example.com,CTO\r\n", "titles")
    configure(aws.ports, tenant.tenant_id, TenantConfig.model_validate(
        {"sources": [{"type": "dataset", "dataset_id": dataset.dataset_id}]}))
    create_batch(aws.ports, tenant.tenant_id, leads(1000), "ten.csv", BatchOptions(mode="advanced"))
    aws.pump(topology.INGEST)

    # WHEN advanced mode's work queue is polled until it is empty
    held = []
    while got := aws.mappings[topology.ADVANCED_WORK.name].poll_once():
        held.append(got)

    # THEN three invocations shared the parts (on AWS, three sandboxes side by side), and basic
    # mode's queue never saw one
    assert held == [4, 4, 2]
    assert aws.mappings[topology.WORK.name].poll_once() == 0
