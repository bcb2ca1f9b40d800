"""What the services talk to (the ports, the settings, the clock) and where it is wired to AWS.

Services only see ``Ports``, whose fields are the Protocols of ``chalicelib.ports``;
``build_ports`` is the composition root that puts the boto3 adapters behind them
(``tests/fakes.fake_ports`` puts the in-memory fakes there).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib import topology
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:  # the protocols (and the domain models they name) are types only: the API's
    # import of this module would load every port's models otherwise
    from chalicelib.clients import Clients
    from chalicelib.ports.accounts import Accounts
    from chalicelib.ports.announcements import Announcements
    from chalicelib.ports.batches import Batches
    from chalicelib.ports.blobs import Blobs
    from chalicelib.ports.deliveries import Deliveries
    from chalicelib.ports.ledger import Ledger
    from chalicelib.ports.markers import Markers
    from chalicelib.ports.queue import Queue
    from chalicelib.ports.rate_limits import RateLimits
    from chalicelib.ports.result_cache import ResultCache
    from chalicelib.ports.schedules import Schedules
    from chalicelib.ports.secrets import Secrets
    from chalicelib.ports.settlements import Settlements
    from chalicelib.ports.timeline import Timeline
    from chalicelib.ports.webhooks import Webhooks


@dataclass(frozen=True)
class Clock:
    """Wall time, injectable so tests can freeze it and retries can skip their sleeps."""

    epoch: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    def now(self) -> str:
        """Now as an ISO-8601 UTC timestamp with milliseconds."""
        return datetime.fromtimestamp(self.epoch(), UTC).isoformat(timespec="milliseconds")


@dataclass
class Ports:
    """What the services talk to."""

    settings: Settings
    accounts: Accounts
    batches: Batches
    markers: Markers
    ledger: Ledger
    settlement: Settlements
    blobs: Blobs
    queue: Queue
    secrets: Secrets
    rate_limits: RateLimits
    result_cache: ResultCache
    timeline: Timeline
    webhooks: Webhooks
    deliveries: Deliveries
    announcements: Announcements
    schedules: Schedules
    clock: Clock = field(default_factory=Clock)

    def queue_name(self, spec: topology.QueueSpec) -> str:
        """Physical name of a declared queue."""
        return self.settings.name(spec.name)


def build_ports(clients: Clients, settings: Settings, clock: Clock | None = None) -> Ports:
    """Wire every adapter to its client and physical resource name."""
    # boto3 and the adapters load here, on first use: a function that never reaches AWS
    # (or the API before its first request) does not pay for them at import.
    from chalicelib.adapters.accounts import AccountStore
    from chalicelib.adapters.announcements import AnnouncementStore
    from chalicelib.adapters.batches import BatchStore
    from chalicelib.adapters.blobs import BlobStore
    from chalicelib.adapters.deliveries import DeliveryStore
    from chalicelib.adapters.ledger import LedgerReader
    from chalicelib.adapters.markers import MarkerStore
    from chalicelib.adapters.queue import MessageQueue
    from chalicelib.adapters.rate_limits import RateLimitStore
    from chalicelib.adapters.result_cache import ResultCacheStore
    from chalicelib.adapters.schedules import ScheduleStore
    from chalicelib.adapters.secrets import SecretStore
    from chalicelib.adapters.settlement import SettlementStore
    from chalicelib.adapters.timeline import TimelineStore
    from chalicelib.adapters.webhooks import WebhookStore
    name = settings.name
    db = clients.dynamodb
    return Ports(
        settings=settings,
        accounts=AccountStore(db, name(topology.TENANTS.name), name(topology.API_KEYS.name),
                              name(topology.LEDGER.name), name(topology.COLUMN_MAPS.name)),
        batches=BatchStore(db, name(topology.BATCHES.name), name(topology.CHUNKS.name),
                           name(topology.TENANTS.name)),
        markers=MarkerStore(db, name(topology.MARKERS.name)),
        ledger=LedgerReader(db, name(topology.LEDGER.name)),
        settlement=SettlementStore(db, name(topology.TENANTS.name), name(topology.BATCHES.name),
                                   name(topology.CHUNKS.name), name(topology.LEDGER.name)),
        blobs=BlobStore(clients.s3, settings.bucket, clients.s3_signer),
        queue=MessageQueue(clients.sqs),
        secrets=SecretStore(clients, settings),
        rate_limits=RateLimitStore(db, name(topology.RATE_LIMITS.name)),
        result_cache=ResultCacheStore(db, name(topology.RESULT_CACHE.name)),
        timeline=TimelineStore(db, name(topology.TIMELINE.name)),
        webhooks=WebhookStore(db, name(topology.WEBHOOKS.name)),
        deliveries=DeliveryStore(db, name(topology.DELIVERIES.name)),
        announcements=AnnouncementStore(db, name(topology.BATCHES.name), name(topology.TENANTS.name)),
        schedules=ScheduleStore(db, name(topology.SCHEDULES_TABLE.name)),
        clock=clock or Clock(),
    )


_ports: Ports | None = None


def get_ports() -> Ports:
    """The process-wide ports (built on first use, never at import)."""
    global _ports
    if _ports is None:
        from chalicelib.clients import get_clients

        _ports = build_ports(get_clients(), get_settings())
    return _ports


def use_ports(ports: Ports) -> None:
    """Make ``ports`` the process-wide ports (the in-process bench puts the in-memory fakes there)."""
    global _ports
    _ports = ports


def reset_ports() -> None:
    """Forget the built ports (after the environment changed)."""
    global _ports
    _ports = None
