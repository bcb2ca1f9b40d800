"""Workers racing on one tenant's balance, against the embedded emulator (moto's server).

In-process moto is not atomic under threads; the emulator serializes requests as DynamoDB's
own atomicity would, so this is where concurrent workers are tried.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.emulator import Emulator
from chalicelib.local.eventsource import mappings
from chalicelib.local.provision import provision
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


def test_racing_workers_never_take_the_balance_below_zero(emulated: Ports) -> None:
    ports = emulated
    tenant = create_tenant(ports, "Racer", 250)
    first = create_batch(ports, tenant.tenant_id, leads(400), "a.csv", BatchOptions())
    second = create_batch(ports, tenant.tenant_id, leads(400), "b.csv", BatchOptions())
    split = next(m for m in mappings(retry_delay=0) if m.spec is topology.INGEST)
    while split.poll_once():
        pass
    chunks = [ChunkMessage.model_validate_json(b) for b in take_messages(ports, topology.WORK)]
    assert len(chunks) == 8
    start = threading.Barrier(len(chunks))
    errors: list[BaseException] = []

    def worker(message: ChunkMessage) -> None:
        start.wait()
        try:
            work_chunk(ports, message, attempt=f"race{message.batch_id[-4:]}{message.chunk}")
        except BaseException as exc:  # surfaced below: a worker must not crash
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(m,)) for m in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    account = ports.accounts.get_tenant(tenant.tenant_id)
    assert account is not None and account.balance == 0  # 800 billable rows, 250 credits
    batches = [ports.batches.get(tenant.tenant_id, b.batch_id) for b in (first, second)]
    spent = sum(b.credits_spent for b in batches if b)
    assert spent == charged(ports, tenant.tenant_id) == 250
    for batch in batches:
        assert batch is not None
        assert batch.status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
        assert batch.counts.settled + batch.counts.parked == 400  # no row lost
