"""A batch's timeline on the fakes: every step in order, and credits that add up to what it spent."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import NotFound
from chalicelib.domain.models import BatchStatus
from chalicelib.services.batches import cancel_batch
from chalicelib.services.lifecycle import top_up_and_resume
from chalicelib.services.ports import Ports
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.tenants import create_tenant
from chalicelib.services.timeline import batch_timeline
from tests.csvs import leads
from tests.helpers import create_batch, deliver, reload


def _names(steps: list[dict[str, Any]]) -> list[str]:
    return [step["step"] for step in steps]


def test_a_paused_and_resumed_batch_explains_every_credit_it_spent(ports: Ports) -> None:
    # GIVEN 30 billable rows and 10 credits: 10 rows are charged, then the batch pauses
    tenant = create_tenant(ports, "Acme", 10)
    batch = create_batch(ports, tenant.tenant_id, leads(30))
    deliver(ports)
    assert reload(ports, batch).status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS
    # WHEN a top-up resumes it, it completes, and its rows are reprocessed with a refresh
    top_up_and_resume(ports, tenant.tenant_id, 100)
    deliver(ports)
    reprocess_batch(ports, tenant.tenant_id, batch.batch_id, failed_only=False, refresh=True)
    deliver(ports)
    # THEN the timeline tells it in order, with the credits of each step
    done = reload(ports, batch)
    timeline = batch_timeline(ports, tenant.tenant_id, batch.batch_id)
    steps = timeline["steps"]
    assert _names(steps) == ["created", "split", "charged", "paused", "topped_up", "resumed", "charged",
                             "completed", "reprocess", "charged", "completed"]
    assert [step["credits"] for step in steps if step["step"] == "charged"] == [10, 20, 30]
    paused = steps[3]
    assert (paused["reason"], paused["balance"], paused["rows"]) == ("balance", 0, 20)
    assert (steps[4]["amount"], steps[4]["balance"], steps[5]["by"]) == (100, 100, "top_up")
    assert steps[8]["rows"] == 30 and steps[1]["rows"] == 30
    assert sum(step["credits"] for step in steps) == done.credits_spent == timeline["credits_spent"] == 60
    assert steps[-1]["credits_spent"] == 60
    assert [step["at"] for step in steps] == sorted(step["at"] for step in steps)


def test_a_cancelled_batch_ends_its_timeline_cancelled_and_other_tenants_see_nothing(
        ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    other = create_tenant(ports, "Other", 100)
    batch = create_batch(ports, tenant.tenant_id, leads(5))
    cancel_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)
    steps = batch_timeline(ports, tenant.tenant_id, batch.batch_id)["steps"]
    assert _names(steps)[0] == "created" and _names(steps)[-1] == "cancelled"
    assert sum(step["credits"] for step in steps) == reload(ports, batch).credits_spent
    with pytest.raises(NotFound):
        batch_timeline(ports, other.tenant_id, batch.batch_id)
