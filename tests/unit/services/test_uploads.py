"""Presigned uploads on the fakes: the batch waits for its file, starts when it comes, expires
uncharged when it never does; these files have their own limits."""

from __future__ import annotations

import time

import pytest

from chalicelib.domain.errors import InsufficientCredits, InvalidRequest
from chalicelib.domain.models import BatchStatus
from chalicelib.domain.upload_requests import UploadCreate
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import Clock, Ports
from chalicelib.services.tenants import create_tenant
from chalicelib.services.uploads import EXPIRY_GRACE_SECONDS, create_upload
from chalicelib.settings import Settings
from tests.csvs import leads
from tests.fakes import fake_ports
from tests.helpers import Ticking, charged, deliver


@pytest.fixture
def ticking() -> Ticking:
    return Ticking(time.time())


@pytest.fixture
def ports(ticking: Ticking) -> Ports:
    settings = Settings(max_rows_per_batch=10, max_rows_per_file=1000, upload_form_max_bytes=50_000)
    return fake_ports(settings, Clock(epoch=ticking, sleep=lambda _: None))


def _upload(ports: Ports, tenant_id: str, size: int = 1000, **options: object) -> tuple[str, str]:
    request = UploadCreate.model_validate({"filename": "big.csv", "size": size, **options})
    batch, form = create_upload(ports, tenant_id, request)
    assert batch.status is BatchStatus.AWAITING_UPLOAD and form["fields"]["key"] == batch.input_key
    return batch.batch_id, batch.input_key


def test_the_batch_waits_for_its_file_and_runs_when_it_comes(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch_id, key = _upload(ports, tenant.tenant_id, name="Big one")
    deliver(ports)
    assert ports.batches.get(tenant.tenant_id, batch_id).status is BatchStatus.AWAITING_UPLOAD  # type: ignore[union-attr]

    ports.blobs.put(key, leads(200), "text/csv")  # as S3 stores a POSTed file: its event follows
    deliver(ports)

    done = ports.batches.get(tenant.tenant_id, batch_id)
    assert done is not None and done.status is BatchStatus.COMPLETED and done.name == "Big one"
    assert done.total_rows == 200  # the file limit (1000 rows), not the API's (10)
    assert done.credits_spent == charged(ports, tenant.tenant_id) > 0


def test_an_upload_that_never_comes_expires_without_charge(ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch_id, _ = _upload(ports, tenant.tenant_id)

    assert tick(ports)["uploads_expired"] == []  # the form is still valid
    ticking.at += ports.settings.upload_form_seconds + EXPIRY_GRACE_SECONDS
    assert tick(ports)["uploads_expired"] == [batch_id]
    deliver(ports)

    gone = ports.batches.get(tenant.tenant_id, batch_id)
    assert gone is not None and gone.status is BatchStatus.FAILED and gone.finished_at is not None
    assert gone.message is not None and "not uploaded" in gone.message
    assert charged(ports, tenant.tenant_id) == 0 and gone.credits_spent == 0
    assert tick(ports)["uploads_expired"] == []


def test_a_file_that_came_but_whose_event_was_lost_is_not_expired(ports: Ports, ticking: Ticking) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    batch_id, key = _upload(ports, tenant.tenant_id)
    ports.blobs.put(key, leads(5), "text/csv")
    ports.queue.receive(ports.settings.name("ingest"), 600)  # the event, lost

    ticking.at += ports.settings.upload_form_seconds + EXPIRY_GRACE_SECONDS
    assert tick(ports)["uploads_expired"] == []
    ticking.at += ports.settings.heal_after_seconds
    tick(ports)  # heals: a batch with its file and no split is split
    deliver(ports)

    assert ports.batches.get(tenant.tenant_id, batch_id).status is BatchStatus.COMPLETED  # type: ignore[union-attr]


def test_limits_are_checked_before_and_after_the_file_comes(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    with pytest.raises(InvalidRequest, match="size"):
        _upload(ports, tenant.tenant_id, size=50_001)
    with pytest.raises(InvalidRequest, match="webhook"):
        _upload(ports, tenant.tenant_id, webhook_id="we_nope")
    batch_id, key = _upload(ports, tenant.tenant_id, size=100)
    ports.blobs.put(key, leads(2000), "text/csv")  # more bytes than the form allowed (S3 refuses those)
    deliver(ports)

    batch = ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None and batch.status is BatchStatus.FAILED
    assert batch.message is not None and "at most 50000" in batch.message and batch.credits_spent == 0


def test_a_tenant_below_the_minimum_balance_gets_402(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 0)
    ports.settings = ports.settings.model_copy(update={"min_balance_to_start": 1})
    with pytest.raises(InsufficientCredits):
        _upload(ports, tenant.tenant_id)
    assert ports.batches.page(tenant.tenant_id, 10, None)[0] == []
