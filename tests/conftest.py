"""Shared fixtures: a provisioned in-process AWS (moto ``mock_aws``) and a pump for its queues."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.services.ports import Clock, Ports, get_ports, reset_ports
from chalicelib.services.tenants import NewTenant, create_tenant
from chalicelib.settings import get_settings
from tests.moto_serial import serialize_requests

if TYPE_CHECKING:
    from chalicelib.local.eventsource import EventSourceMapping

ADMIN_KEY = "admin-test-key"
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "BATCH_ENRICH_ADMIN_API_KEY": ADMIN_KEY,
    # The tests reason in chunks of 100 rows (both modes); the defaults have a test of their own.
    "BATCH_ENRICH_CHUNK_ROWS": "100",
    # As deployed: the mappings report batch item failures (tests/integration/test_no_loss.py
    # covers a mapping without the setting).
    "BATCH_ENRICH_PARTIAL_BATCH_RESPONSES": "true",
}


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from fake credentials, no endpoint override and fresh clients."""
    for name in list(os.environ):
        if name.startswith(("AWS_ENDPOINT_URL", "BATCH_ENRICH_")):
            monkeypatch.delenv(name)
    for name, value in _ENV.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    reset_ports()
    yield
    reset_clients()
    reset_ports()


@dataclass
class Aws:
    """A provisioned in-process AWS with handles on the service and its queues."""

    ports: Ports
    mappings: dict[str, EventSourceMapping]

    def pump(self, queue: topology.QueueSpec, rounds: int = 1000) -> int:
        """Deliver messages of one queue to its handler until it is empty; returns how many."""
        total = 0
        for _ in range(rounds):
            got = self.mappings[queue.name].poll_once()
            if not got:
                return total
            total += got
        raise AssertionError(f"{queue.name} never drained")

    def drain(self) -> None:
        """Run the pipeline until every queue is empty (split, work, finalize)."""
        for _ in range(100):
            moved = sum(self.pump(spec) for spec in topology.QUEUES)
            if not moved:
                return
        raise AssertionError("the pipeline never went idle")

    def tenant(self, credits: int) -> NewTenant:
        """A new prepaid tenant with this balance."""
        return create_tenant(self.ports, "Acme", credits)

    def balance(self, tenant_id: str) -> int:
        """A tenant's balance now."""
        tenant = self.ports.accounts.get_tenant(tenant_id)
        assert tenant is not None
        return tenant.balance


@contextmanager
def fresh_aws() -> Iterator[Aws]:
    """moto's in-process AWS with every declared resource; retries never sleep.

    moto is imported here, not at the top: the unit tests run on the fakes and never load it.
    """
    from moto import mock_aws

    from chalicelib.local import chalice_fixes, moto_fixes
    from chalicelib.local.eventsource import mappings
    from chalicelib.local.provision import provision

    reset_clients()
    reset_ports()
    moto_fixes.apply()  # what the embedded emulator runs, so every test exercises it
    chalice_fixes.apply()  # API Gateway's greedy routes in Chalice's local gateway, as serve runs
    serialize_requests()  # one request at a time, as the emulator serves them
    with mock_aws():
        provision(get_clients(), get_settings())
        ports = get_ports()
        ports.clock = Clock(sleep=lambda _: None)
        found = {m.spec.name: m for m in mappings(retry_delay=0)}
        yield Aws(ports, found)
    reset_clients()
    reset_ports()


@pytest.fixture
def aws() -> Iterator[Aws]:
    """A fresh in-process AWS for one test."""
    with fresh_aws() as provisioned:
        yield provisioned
