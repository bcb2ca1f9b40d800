"""The drop folder on the fakes: a dropped CSV becomes a batch, answered in outbox/; whatever
stops it says why there; one batch per key and content."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain.models import BatchStatus
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import get_settings
from tests.csvs import leads, read_rows
from tests.fakes import fake_ports
from tests.helpers import deliver


@pytest.fixture
def ports() -> Ports:
    return fake_ports(get_settings())


def _status(ports: Ports, key: str) -> dict[str, object]:
    status: dict[str, object] = json.loads(ports.blobs.read(key))
    return status


def test_a_dropped_csv_with_a_sidecar_is_enriched_into_outbox(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    folder = f"inbox/{tenant.tenant_id}/2025/q4"
    ports.blobs.put(f"{folder}/leads.csv.json", json.dumps({"name": "Q4 leads", "dedupe": True}).encode())
    ports.blobs.put(f"{folder}/leads.csv", leads(30), "text/csv")

    deliver(ports)

    [batch] = ports.batches.page(tenant.tenant_id, 10, None)[0]
    assert (batch.name, batch.dedupe, batch.origin, batch.status) == ("Q4 leads", True, "drop",
                                                                      BatchStatus.COMPLETED)
    out = f"outbox/{tenant.tenant_id}/2025/q4/leads"
    status = _status(ports, f"{out}.status.json")
    assert (status["status"], status["batch_id"], status["credits_spent"]) == (
        "completed", batch.batch_id, batch.credits_spent)
    assert status["files"] == {"results": f"{out}.enriched.csv", "credits": f"{out}.credits.csv",
                               "errors": f"{out}.errors.csv"}
    rows = read_rows(ports.blobs.read(f"{out}.enriched.csv"))
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(30)]
    assert ports.blobs.exists(f"{out}.credits.csv") and ports.blobs.exists(f"{out}.errors.csv")


def test_options_come_from_the_object_metadata_without_a_sidecar(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    ports.blobs.put(f"inbox/{tenant.tenant_id}/a.csv", leads(3), "text/csv",
                    metadata={"name": "From metadata", "max-credits": "2",
                              "column-map": '{"Email Address": "email"}'})

    deliver(ports)

    [batch] = ports.batches.page(tenant.tenant_id, 10, None)[0]
    assert (batch.name, batch.max_credits) == ("From metadata", 2)


def test_a_duplicate_event_is_one_batch_and_new_content_a_new_one(ports: Ports) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    key = f"inbox/{tenant.tenant_id}/leads.csv"
    ports.blobs.put(key, leads(3), "text/csv")
    event = ports.queue.receive(ports.settings.name("ingest"), 600)[0].body
    ports.queue.send(ports.settings.name("ingest"), [event, event])  # S3 delivers at least once
    deliver(ports)
    assert len(ports.batches.page(tenant.tenant_id, 10, None)[0]) == 1

    ports.blobs.put(key, leads(4), "text/csv")
    deliver(ports)

    assert sorted(b.total_rows or 0 for b in ports.batches.page(tenant.tenant_id, 10, None)[0]) == [3, 4]


@pytest.mark.parametrize(("key", "sidecar", "says"), [
    ("inbox/t_nobody/leads.csv", None, "No tenant 't_nobody'"),
    ("inbox/{t}/leads.csv", b"{not json", "not valid"),
    ("inbox/{t}/leads.csv", b'{"mode": "turbo"}', "mode"),
    ("inbox/{t}/leads.csv", b'{"webhook_id": "we_nope"}', "no webhook endpoint"),
    ("inbox/{t}/leads.xlsx", None, "Only files named *.csv"),
])
def test_a_drop_that_starts_nothing_says_why_in_its_status_file(
        ports: Ports, key: str, sidecar: bytes | None, says: str) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    key = key.format(t=tenant.tenant_id)
    if sidecar is not None:
        ports.blobs.put(key + ".json", sidecar)
    ports.blobs.put(key, leads(3), "text/csv")

    deliver(ports)

    tenant_dir, name = key.split("/", 2)[1:]
    status = _status(ports, f"outbox/{tenant_dir}/{name.removesuffix('.csv')}.status.json")
    assert status["status"] == "failed" and says in str(status["message"])
    assert "Nothing was charged" in str(status["message"]) or "nothing was done" in str(status["message"])
    assert ports.batches.page(tenant.tenant_id, 10, None)[0] == []


@pytest.mark.parametrize(("data", "metadata"), [
    (b"\x00\x01\x02" * 100, {}),  # no CSV at all
    (None, {"column-map": '{"E-mail": "email"}'}),  # options the file's columns do not fit
])
def test_a_file_that_cannot_be_read_as_asked_fails_its_batch_and_the_status_file_says_why(
        ports: Ports, data: bytes | None, metadata: dict[str, str]) -> None:
    tenant = create_tenant(ports, "Acme", 1000)
    ports.blobs.put(f"inbox/{tenant.tenant_id}/broken.csv", data or leads(3), "text/csv", metadata=metadata)

    deliver(ports)

    [batch] = ports.batches.page(tenant.tenant_id, 10, None)[0]
    status = _status(ports, f"outbox/{tenant.tenant_id}/broken.status.json")
    assert batch.status is BatchStatus.FAILED and status["status"] == "failed"
    assert status["message"] == batch.message and status["credits_spent"] == 0
