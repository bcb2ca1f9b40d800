"""Creating and steering batches on the fakes: checks before anything is stored, then exact refusals."""

from __future__ import annotations

import pytest

from chalicelib import topology
from chalicelib.domain.errors import Conflict, InsufficientCredits, InvalidRequest, NotFound
from chalicelib.domain.models import Batch, BatchStatus, Mode
from chalicelib.domain.options import BatchOptions, BatchPatch
from chalicelib.keys import input_key
from chalicelib.services.batches import cancel_batch, patch_batch, resume_batch, submit
from chalicelib.services.claims import claim, create_unclaimed
from chalicelib.services.datasets import create_dataset
from chalicelib.services.idempotency import create_once, request_hash
from chalicelib.services.ports import Ports
from chalicelib.services.sources import configure
from chalicelib.services.tenants import create_tenant
from chalicelib.sources.spec import TenantConfig
from tests.csvs import leads
from tests.helpers import create_batch, deliver, peek_messages, reload


def test_a_submitted_batch_is_stored_uploaded_and_its_split_queued_at_its_price(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    dataset = create_dataset(ports, tenant.tenant_id, b"email,title\r\na@example.com,CTO\r\n", "t")
    configure(ports, tenant.tenant_id, TenantConfig.model_validate(  # advanced runs a source
        {"prices": {"advanced": 5}, "sources": [{"type": "dataset", "dataset_id": dataset.dataset_id}]}))

    basic = create_batch(ports, tenant.tenant_id, leads(3))
    advanced = create_batch(ports, tenant.tenant_id, leads(3), options=BatchOptions(mode="advanced"))

    assert (basic.mode, basic.price, advanced.mode, advanced.price) == (Mode.BASIC, 1, Mode.ADVANCED, 5)
    assert basic.status is BatchStatus.VALIDATING
    assert basic.fields == {"id": 0, "email": 1, "phone": 2, "country": 3}
    assert ports.blobs.read(input_key(tenant.tenant_id, basic.batch_id)) == leads(3)
    assert len(peek_messages(ports, topology.INGEST)) == 2


def test_a_balance_short_of_the_batchs_cost_refuses_it_when_the_tenant_asked_so(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 7)
    configure(ports, tenant.tenant_id, TenantConfig(require_full_balance=True))

    with pytest.raises(InsufficientCredits) as refused:
        submit(ports, tenant.tenant_id, leads(10), "l.csv", BatchOptions())

    assert refused.value.details["credits_required"] == 10
    assert ports.batches.page(tenant.tenant_id, 10, None)[0] == []
    assert peek_messages(ports, topology.INGEST) == []


def test_only_a_paused_batch_resumes_and_only_with_credits_for_a_row(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 5)
    batch = create_batch(ports, tenant.tenant_id, leads(30), options=BatchOptions(auto_resume=False))

    with pytest.raises(Conflict):
        resume_batch(ports, tenant.tenant_id, batch.batch_id)
    deliver(ports)
    with pytest.raises(InsufficientCredits):
        resume_batch(ports, tenant.tenant_id, batch.batch_id)
    with pytest.raises(NotFound):
        resume_batch(ports, "t_other", batch.batch_id)
    assert reload(ports, batch).status is BatchStatus.PAUSED_INSUFFICIENT_CREDITS


def test_cancel_asks_for_results_once_and_a_second_cancel_is_a_conflict(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 5)
    batch = create_batch(ports, tenant.tenant_id, leads(3))

    cancelled = cancel_batch(ports, tenant.tenant_id, batch.batch_id)

    assert cancelled.status is BatchStatus.CANCELLED
    assert len(peek_messages(ports, topology.FINALIZE)) == 1
    with pytest.raises(Conflict):
        cancel_batch(ports, tenant.tenant_id, batch.batch_id)


def test_a_cap_below_what_was_spent_is_refused_with_the_spend(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 20)
    batch = create_batch(ports, tenant.tenant_id, leads(30), options=BatchOptions(auto_resume=False))
    deliver(ports)

    with pytest.raises(InvalidRequest) as refused:
        patch_batch(ports, tenant.tenant_id, batch.batch_id, BatchPatch(max_credits=19))
    renamed = patch_batch(ports, tenant.tenant_id, batch.batch_id, BatchPatch(name="Spring"))

    assert "20" in refused.value.message
    assert renamed.name == "Spring" and renamed.max_credits is None


def test_one_idempotency_key_makes_one_batch_and_a_refused_create_leaves_it_free(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    data, options = leads(3), BatchOptions(name="once")

    def create(batch_id: str) -> Batch:
        return submit(ports, tenant.tenant_id, data, "l.csv", options, batch_id).batch

    def refuse(batch_id: str) -> Batch:
        raise InvalidRequest(f"no {batch_id}")

    with pytest.raises(InvalidRequest):
        create_once(ports, tenant.tenant_id, "k", request_hash(data, options), refuse)
    first, created = create_once(ports, tenant.tenant_id, "k", request_hash(data, options), create)
    again, again_created = create_once(ports, tenant.tenant_id, "k", request_hash(data, options), create)

    assert (created, again_created) == (True, False) and again.batch_id == first.batch_id
    with pytest.raises(Conflict):
        create_once(ports, tenant.tenant_id, "k", request_hash(b"other", options), create)


def test_an_anonymous_upload_runs_once_a_tenant_claims_it_and_only_once(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 100)
    unclaimed = create_unclaimed(ports, leads(4), "l.csv", BatchOptions())
    deliver(ports)  # nothing runs before the claim

    submitted = claim(ports, tenant.tenant_id, unclaimed.batch.batch_id, unclaimed.upload_token)
    deliver(ports)

    assert reload(ports, submitted.batch).status is BatchStatus.COMPLETED
    assert reload(ports, unclaimed.batch).status is BatchStatus.CANCELLED
    with pytest.raises(NotFound):
        claim(ports, tenant.tenant_id, unclaimed.batch.batch_id, unclaimed.upload_token)
