"""The helpers tests share: a batch read again, messages taken off a queue, charges, results, clocks.

Everything here goes through the ports' public methods, so it works on any implementation of them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from chalicelib import topology
from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.domain.messages import ChunkMessage, FinalizeMessage
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.handlers.deliver_events import deliver_message
from chalicelib.handlers.split_events import uploaded_objects
from chalicelib.handlers.sqs_batches import message_ids
from chalicelib.keys import results_key
from chalicelib.observability import correlated
from chalicelib.services.batches import submit
from chalicelib.services.finalizing import finalize_batch
from chalicelib.services.ingesting import ingest
from chalicelib.services.invocation import Invocation
from chalicelib.services.ports import Ports
from chalicelib.services.working import work_chunk
from tests.csvs import read_rows

if TYPE_CHECKING:
    from tests.api_client import Http
    from tests.conftest import Aws

HIDDEN = 600  # seconds a taken message stays invisible: longer than any test


def create_batch(ports: Ports, tenant_id: str, data: bytes, filename: str = "leads.csv",
                 options: BatchOptions | None = None) -> Batch:
    """A batch submitted as the API submits one (the file checked, stored, its split started)."""
    return submit(ports, tenant_id, data, filename, options or BatchOptions()).batch


def reload(ports: Ports, batch: Batch) -> Batch:
    """The batch as it is stored now."""
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    assert fresh is not None, batch.batch_id
    return fresh


def deliver(ports: Ports, queues: tuple[topology.QueueSpec, ...] = topology.QUEUES,
            rounds: int = 1000) -> int:
    """Run every message of ``queues`` through its service, as the handlers do, until they are empty.

    No Lambda, no event source mapping: for ports whose queues nothing else polls (the fakes).
    A service that raises fails the test. Returns how many messages were delivered.
    """
    delivered = 0
    for _ in range(rounds):
        moved = sum(_deliver_batch(ports, spec) for spec in queues)
        if not moved:
            return delivered
        delivered += moved
    raise AssertionError("the pipeline never went idle")


def _deliver_batch(ports: Ports, spec: topology.QueueSpec) -> int:
    name = ports.queue_name(spec)
    got = ports.queue.receive(name, spec.visibility_timeout, spec.batch_size)
    invocation = Invocation(ports)
    for message in got:
        with correlated(**message_ids(message.body)):  # as the handlers run a record
            _handle(ports, spec, message.body, invocation)
    invocation.finish()
    ports.queue.delete(name, [message.receipt for message in got])
    return len(got)


def _handle(ports: Ports, spec: topology.QueueSpec, body: str, invocation: Invocation) -> None:
    if spec is topology.INGEST:
        for created in uploaded_objects(body):
            ingest(ports, created)
    elif spec in topology.WORK_QUEUES:
        work_chunk(ports, ChunkMessage.model_validate_json(body), uuid.uuid4().hex[:16], invocation)
    elif spec is topology.DELIVER:
        deliver_message(ports, body)
    else:
        finalize = FinalizeMessage.model_validate_json(body)
        finalize_batch(ports, finalize.tenant_id, finalize.batch_id)


def take_messages(ports: Ports, spec: topology.QueueSpec, dead_letters: bool = False) -> list[str]:
    """Every message body on a queue (or its DLQ), taken off it for the test to deliver itself."""
    name = ports.settings.name(spec.dlq_name if dead_letters else spec.name)
    bodies: list[str] = []
    while got := ports.queue.receive(name, HIDDEN):
        bodies += [message.body for message in got]
        ports.queue.delete(name, [message.receipt for message in got])
    return bodies


def peek_messages(ports: Ports, spec: topology.QueueSpec) -> list[str]:
    """The bodies of up to ten messages on a queue, left there (visible again at once)."""
    return [message.body for message in ports.queue.receive(ports.settings.name(spec.name), 0)]


def charged(ports: Ports, tenant_id: str) -> int:
    """Credits the tenant's ledger charged, in total."""
    return -sum(int(e["credits"]) for e in ports.ledger.entries(tenant_id) if e["kind"] == "charge")


def results_rows(ports: Ports, batch: Batch, name: str = "results.csv") -> list[dict[str, str]]:
    """A finalized batch's CSV results file (results, credits or errors) as dicts."""
    return read_rows(ports.blobs.read(results_key(batch, name)))


def email_outage(monkeypatch: pytest.MonkeyPatch, down: set[str]) -> None:
    """The email enricher errors for these addresses, as a flaky provider would."""
    real = EmailEnricher.enrich

    def flaky(self: EmailEnricher, record: CanonicalRecord) -> Any:
        if record.get("email") in down:
            raise TimeoutError("provider timed out")
        return real(self, record)

    monkeypatch.setattr(EmailEnricher, "enrich", flaky)


class Ticking:
    """A clock's epoch that moves 10 ms a reading and can jump (``at = ...``, to cross a month)."""

    def __init__(self, start: float) -> None:
        self.at = start

    def __call__(self) -> float:
        self.at += 0.01
        return self.at


def run_batch(http: Http, aws: Aws, key: str, matched: int, unmatched: int = 0) -> dict[str, Any]:
    """A batch of ``matched`` good emails and ``unmatched`` bad ones, run to the end; its status."""
    records = [{"email": f"p{i}@example.com"} for i in range(matched)]
    records += [{"email": f"not-an-email-{i}"} for i in range(unmatched)]
    created = http.post_json("/v1/batches", key, {"records": records})
    assert created.status == 202, created.body
    aws.drain()
    status = http.status(key, created.body["batch_id"])
    assert status["status"] == "completed", status
    return status
