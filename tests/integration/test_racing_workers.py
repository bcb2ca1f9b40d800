"""Workers racing on one tenant's balance, against the embedded emulator (moto's server).

In-process moto is not atomic under threads; the emulator serializes requests as DynamoDB's
own atomicity would, so this is where concurrent workers are tried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch, BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.emulator import Emulator
from chalicelib.local.eventsource import mappings
from chalicelib.local.provision import provision
from chalicelib.services.invocation import Invocation
from chalicelib.services.ports import Ports, get_ports, reset_ports
from chalicelib.services.tenants import create_tenant
from chalicelib.services.working import work_chunk
from chalicelib.settings import get_settings
from tests.csvs import leads
from tests.helpers import charged, create_batch, take_messages


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[Ports]:
    """Ports pointed at a fresh embedded emulator with every declared resource."""
    emulator = Emulator().start()
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    reset_ports()
    provision(get_clients(), get_settings())
    yield get_ports()
    emulator.stop()


def _two_batches(ports: Ports) -> tuple[str, list[Batch], list[ChunkMessage]]:
    """A tenant of 250 credits, two batches of four 100-row chunks split, their chunk messages."""
    tenant = create_tenant(ports, "Racer", 250)
    batches = [create_batch(ports, tenant.tenant_id, leads(400), name, BatchOptions())
               for name in ("a.csv", "b.csv")]
    split = next(m for m in mappings(retry_delay=0) if m.spec is topology.INGEST)
    while split.poll_once():
        pass
    chunks = [ChunkMessage.model_validate_json(b) for b in take_messages(ports, topology.WORK)]
    assert len(chunks) == 8
    return tenant.tenant_id, batches, chunks


def _race(work: list[Callable[[], None]]) -> list[BaseException]:
    """Run each at once on its own thread; what they raised."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def worker(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # surfaced by the caller: a worker must not crash
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _exactly_the_balance_spent(ports: Ports, tenant_id: str, batches: list[Batch]) -> None:
    account = ports.accounts.get_tenant(tenant_id)
    assert account is not None and account.balance == 0  # 800 billable rows, 250 credits
    fresh = [ports.batches.get(tenant_id, b.batch_id) for b in batches]
    assert sum(b.credits_spent for b in fresh if b) == charged(ports, tenant_id) == 250
    charges = [e["entry_id"] for e in ports.ledger.entries(tenant_id) if e["kind"] == "charge"]
    assert len(charges) == len(set(charges))  # a part charged once
    for batch in fresh:
        assert batch is not None
        assert batch.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
        assert batch.counts.settled + batch.counts.parked == 400  # no row lost


def test_racing_workers_never_take_the_balance_below_zero(emulated: Ports) -> None:
    ports = emulated
    tenant_id, batches, chunks = _two_batches(ports)

    def one(message: ChunkMessage) -> Callable[[], None]:
        def run() -> None:
            work_chunk(ports, message, attempt=f"race{message.batch_id[-4:]}{message.chunk}")
        return run

    assert _race([one(m) for m in chunks]) == []
    _exactly_the_balance_spent(ports, tenant_id, batches)


def test_racing_invocations_settling_parts_together_never_overdraw_or_charge_twice(emulated: Ports) -> None:
    # GIVEN 250 credits and two batches of four 100-row chunks, every chunk delivered twice
    ports = emulated
    tenant_id, batches, chunks = _two_batches(ports)
    deliveries = [chunks[n::4] for n in range(4)] * 2  # eight invocations of two parts each

    def invocation(number: int, messages: list[ChunkMessage]) -> Callable[[], None]:
        def run() -> None:  # as the work function runs basic parts: held, then settled together
            seen = Invocation(ports)
            seen.hold_parts()
            for message in messages:
                work_chunk(ports, message, f"race{number}x{message.chunk}", seen)
            assert seen.held_failures() == []
            seen.finish()
        return run

    # WHEN they all run at once
    errors = _race([invocation(n, messages) for n, messages in enumerate(deliveries)])

    # THEN exactly the balance was charged, once a part, and no row was lost
    assert errors == []
    _exactly_the_balance_spent(ports, tenant_id, batches)
