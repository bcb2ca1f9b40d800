"""Failures are never dropped, even where the event source mapping ignores ``batchItemFailures``
(``chalice deploy`` without ReportBatchItemFailures): such a batch is retried, not deleted."""

from __future__ import annotations

import json

import pytest

from chalicelib import topology
from chalicelib.domain.options import BatchOptions
from tests.conftest import Aws
from tests.csvs import leads
from tests.helpers import charged, create_batch, take_messages


def _without_the_mapping_setting(aws: Aws, spec: topology.QueueSpec, partial: bool) -> None:
    aws.mappings[spec.name].report_batch_item_failures = False
    aws.ports.settings = aws.ports.settings.model_copy(update={"partial_batch_responses": partial})


@pytest.mark.parametrize("partial", [True, False], ids=["setting-on", "setting-off"])
@pytest.mark.parametrize("spec", [topology.INGEST, topology.FINALIZE], ids=lambda s: s.name)
def test_an_invocation_whose_every_record_fails_is_retried_then_dead_lettered(
        aws: Aws, spec: topology.QueueSpec, partial: bool) -> None:
    _without_the_mapping_setting(aws, spec, partial)
    poison = json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]})  # a record split cannot read
    if spec is topology.FINALIZE:
        poison = json.dumps({"tenant_id": "t_1"})  # a finalize request without its batch
    aws.ports.queue.send(aws.ports.settings.name(spec.name), [poison])

    delivered = aws.pump(spec)

    # Retried on every receive, never deleted: it ends in the DLQ, where the alarm sees it.
    assert delivered >= spec.max_receive_count  # (+ the s3:TestEvent on ingest)
    assert take_messages(aws.ports, spec, dead_letters=True) == [poison]


def test_without_partial_responses_a_failed_chunk_retries_its_batch_and_nothing_is_charged_twice(
        aws: Aws) -> None:
    _without_the_mapping_setting(aws, topology.WORK, partial=False)
    tenant = aws.tenant(1000)
    batch = create_batch(aws.ports, tenant.tenant_id, leads(30), "a.csv", BatchOptions())
    aws.pump(topology.INGEST)
    aws.ports.queue.send(aws.ports.settings.name(topology.WORK.name), ["{poison"])

    aws.drain()

    settled = aws.ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert settled is not None and settled.status.value == "completed" and settled.counts.completed == 30
    assert charged(aws.ports, tenant.tenant_id) == 30 == 1000 - aws.balance(tenant.tenant_id)
    # The poison ends in the DLQ; so may its settled neighbour (retried with it, found settled).
    assert "{poison" in take_messages(aws.ports, topology.WORK, dead_letters=True)
