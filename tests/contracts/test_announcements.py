"""The Announcements port: marks set with a status write, listed until done; credits.low once a fall."""

from __future__ import annotations

import io

from chalicelib.domain.models import BatchStatus, BillingKind
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.webhooks import Announcement
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant, top_up
from tests.csvs import leads


def test_a_status_write_s_mark_is_pending_until_done_and_a_newer_one_stays(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 10)
    batch = start_batch(ports, tenant.tenant_id, io.BytesIO(leads(3)), "a.csv",
                        BatchOptions())
    first = "batch.failed@2025-11-01T00:00:00.000+00:00"
    second = "batch.failed@2025-11-01T00:01:00.000+00:00"
    ports.batches.transition(tenant.tenant_id, batch.batch_id, BatchStatus.FAILED,
                             (BatchStatus.VALIDATING,), "2025-11-01T00:00:00.000+00:00", announce=first)
    assert ports.announcements.pending() == [Announcement(tenant.tenant_id, batch.batch_id, first)]

    ports.batches.transition(tenant.tenant_id, batch.batch_id, BatchStatus.FAILED,
                             (BatchStatus.FAILED,), "2025-11-01T00:01:00.000+00:00", announce=second)
    ports.announcements.done(Announcement(tenant.tenant_id, batch.batch_id, first))  # stale: stays
    assert ports.announcements.pending() == [Announcement(tenant.tenant_id, batch.batch_id, second)]
    ports.announcements.done(Announcement(tenant.tenant_id, batch.batch_id, second))
    assert ports.announcements.pending() == []
    stored = ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert stored is not None and stored.announce is None


def test_credits_low_is_marked_once_per_fall_below_the_threshold(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 50)
    postpaid = create_tenant(ports, "Later", 0, BillingKind.POSTPAID)
    mark = "credits.low@2025-11-01T00:00:00.000+00:00"

    assert not ports.announcements.mark_credits_low(tenant.tenant_id, 40, mark)  # 50 is not below 40
    assert not ports.announcements.mark_credits_low(postpaid.tenant_id, 40, mark)
    assert ports.announcements.mark_credits_low(tenant.tenant_id, 60, mark)
    assert not ports.announcements.mark_credits_low(tenant.tenant_id, 60, mark + "x")  # marked already
    assert ports.announcements.tenant_mark(tenant.tenant_id) == mark
    assert Announcement(tenant.tenant_id, None, mark) in ports.announcements.pending()
    read = ports.accounts.get_tenant(tenant.tenant_id)
    assert read is not None and read.low_balance_at == mark

    ports.announcements.rearm_credits_low(tenant.tenant_id, 60)  # still 50: stays announced
    assert not ports.announcements.mark_credits_low(tenant.tenant_id, 60, mark)
    top_up(ports, tenant.tenant_id, 20)
    ports.announcements.rearm_credits_low(tenant.tenant_id, 60)
    ports.announcements.done(Announcement(tenant.tenant_id, None, mark))
    assert ports.announcements.pending() == []
    assert ports.announcements.mark_credits_low(tenant.tenant_id, 100, mark)  # a new fall
