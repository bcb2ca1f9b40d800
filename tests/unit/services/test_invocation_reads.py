"""A work invocation reads each batch with its tenant in one request, and what it does with the
tenant stays what it did when the tenant was read for the first part's plan."""

from __future__ import annotations

from chalicelib import topology
from chalicelib.services.batches import cancel_batch
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import leads
from tests.helpers import create_batch, deliver, reload


def test_a_closed_batchs_parts_read_with_their_low_tenant_announce_nothing(ports: Ports) -> None:
    # GIVEN a tenant already below the credits.low threshold, not yet told, and a batch of its
    # cancelled before its parts were worked
    tenant = create_tenant(ports, "Acme", 3)
    assert ports.settings.credits_low_threshold > 3
    batch = create_batch(ports, tenant.tenant_id, leads(5))
    deliver(ports, (topology.INGEST,))
    cancel_batch(ports, tenant.tenant_id, batch.batch_id)

    # WHEN its parts are worked (each invocation reads the batch and the tenant together)
    deliver(ports, (topology.WORK,))

    # THEN nothing was charged or announced: no part was planned, so the balance was not checked
    told = ports.accounts.get_tenant(tenant.tenant_id)
    assert told is not None and told.low_balance_at is None and told.balance == 3
    assert reload(ports, batch).credits_spent == 0


def test_a_planned_part_still_announces_the_low_balance_it_leaves(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 3)
    create_batch(ports, tenant.tenant_id, leads(5))

    deliver(ports, (topology.INGEST, topology.WORK))

    told = ports.accounts.get_tenant(tenant.tenant_id)
    assert told is not None and told.low_balance_at is not None and told.balance == 0
