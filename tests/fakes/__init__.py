"""In-memory fakes of every port (``chalicelib/ports``), and ``fake_ports`` to wire them.

Each fake mirrors one adapter; ``tests/contracts`` runs the same tests on both, so they cannot
drift. A fake bucket sends S3's object-created event to the ingest queue for the prefixes
``topology.NOTIFICATIONS`` declares, as the provisioned bucket does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote_plus

from chalicelib import topology
from chalicelib.services.ports import Clock, Ports
from chalicelib.settings import Settings
from tests.fakes.accounts import InMemoryAccounts
from tests.fakes.announcements import InMemoryAnnouncements
from tests.fakes.batches import InMemoryBatches
from tests.fakes.blobs import InMemoryBlobs
from tests.fakes.deliveries import InMemoryDeliveries
from tests.fakes.ledger import InMemoryLedger
from tests.fakes.markers import InMemoryMarkers
from tests.fakes.queue import InMemoryQueue
from tests.fakes.rate_limits import InMemoryRateLimits
from tests.fakes.result_cache import InMemoryResultCache
from tests.fakes.schedules import InMemorySchedules
from tests.fakes.secrets import InMemorySecrets
from tests.fakes.settlements import InMemorySettlements
from tests.fakes.tables import Tables
from tests.fakes.timeline import InMemoryTimeline
from tests.fakes.webhooks import InMemoryWebhooks

__all__ = ["fake_ports", "s3_event"]


def s3_event(bucket: str, key: str, etag: str) -> str:
    """The body S3 sends a queue when an object is created (only what split reads, as moto omits more)."""
    return json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket}, "object": {"key": quote_plus(key), "eTag": etag.strip('"')}}}]})


def fake_ports(settings: Settings | None = None, clock: Clock | None = None,
               queue_clock: Callable[[], float] | None = None) -> Ports:
    """Ports whose every adapter is an in-memory fake: no AWS, no moto, no network.

    ``queue_clock``: what the queues' delays and visibility timeouts count on (real time if None).
    """
    settings = settings or Settings()
    tables = Tables()
    names = [settings.name(n) for spec in topology.QUEUES for n in (spec.name, spec.dlq_name)]
    queue = InMemoryQueue(names, now=queue_clock) if queue_clock else InMemoryQueue(names)

    def created(bucket: str, key: str, etag: str) -> None:
        for notification in topology.NOTIFICATIONS:
            if key.startswith(notification.prefix):
                queue.send(settings.name(notification.queue), [s3_event(bucket, key, etag)])

    return Ports(
        settings=settings, accounts=InMemoryAccounts(tables), batches=InMemoryBatches(tables),
        markers=InMemoryMarkers(tables), ledger=InMemoryLedger(tables),
        settlement=InMemorySettlements(tables), blobs=InMemoryBlobs(settings.bucket, created),
        queue=queue, secrets=InMemorySecrets(settings.admin_api_key), rate_limits=InMemoryRateLimits(),
        result_cache=InMemoryResultCache(),
        timeline=InMemoryTimeline(),
        webhooks=InMemoryWebhooks(tables), deliveries=InMemoryDeliveries(tables),
        announcements=InMemoryAnnouncements(tables), schedules=InMemorySchedules(),
        clock=clock or Clock(sleep=lambda _: None),
    )
