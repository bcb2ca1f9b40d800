"""One QueueSpec drives the local runtime and the template: change its batch size, both follow."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from chalicelib import topology
from chalicelib.local.eventsource import mappings
from infra import messaging
from infra.naming import stage_settings
from tests.conftest import Aws

CHANGED = dataclasses.replace(topology.WORK, batch_size=7, maximum_concurrency=3)


@pytest.fixture
def changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topology, "QUEUES", tuple(CHANGED if q is topology.WORK else q
                                                  for q in topology.QUEUES))


def test_the_template_maps_the_changed_spec(changed: None) -> None:
    stack = Stack(App(), "probe")
    work = next(q for q in topology.QUEUES if q.name == "work")
    main, _ = messaging.queue(stack, stage_settings("dev"), work, topology.WORKER)
    messaging.event_source(stack, work, main, "batch-enrich-dev-work")

    Template.from_stack(stack).has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "BatchSize": 7, "ScalingConfig": {"MaximumConcurrency": 3},
        "FunctionResponseTypes": ["ReportBatchItemFailures"]})


def test_the_local_runtime_delivers_batches_of_the_changed_size(aws: Aws, changed: None) -> None:
    delivered: list[int] = []
    (work,) = [m for m in mappings(retry_delay=0) if m.spec.name == "work"]

    def handler(event: dict[str, Any], _: object) -> dict[str, Any]:
        delivered.append(len(event["Records"]))
        return {}

    work._handler = handler
    aws.ports.queue.send(aws.ports.settings.name("work"), [f'{{"n": {n}}}' for n in range(10)])

    while work.poll_once():
        pass

    assert delivered == [7, 3]
