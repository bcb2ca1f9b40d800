"""A work invocation runs its advanced-mode parts side by side, taking turns at starting rows:
the next part's vendor calls start while the one before it drains and settles."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib import topology
from tests.api_client import Http
from tests.conftest import ADMIN_KEY, Aws
from tests.fake_vendor import JsonHandler, serving_handler
from tests.helpers import charged, results_rows

SEEN: list[str] = []  # vendor calls ("p3") and settlements ("settled 0"), in order
_LOCK = threading.Lock()


def _saw(what: str) -> None:
    with _LOCK:
        SEEN.append(what)


class _Vendor(JsonHandler):
    def do_GET(self) -> None:
        _saw(parse_qs(urlparse(self.path).query).get("email", [""])[0].partition("@")[0])
        time.sleep(0.2)
        self.reply(200, {"person": {"title": "CTO"}})


@pytest.fixture
def vendor(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    SEEN.clear()
    aws.ports.settings = aws.ports.settings.model_copy(
        update={"outbound_allow_loopback": True, "advanced_chunk_rows": 4})
    settle = aws.ports.settlement.settle

    def settled(request: Any) -> Any:
        answer = settle(request)
        _saw(f"settled {request.chunk}")
        return answer

    monkeypatch.setattr(aws.ports.settlement, "settle", settled)
    with serving_handler(_Vendor) as base:
        yield base + "/v1/people"


@pytest.mark.parametrize("at_once", [2, 1])
def test_an_invocation_overlaps_its_advanced_parts_and_settles_each_once(
    aws: Aws, http: Http, vendor: str, at_once: int
) -> None:
    aws.ports.settings = aws.ports.settings.model_copy(update={"work_parts_at_once": at_once})
    tenant = aws.tenant(1000)
    config = {"sources": [{"type": "http", "config": {
        "name": "people", "url": vendor, "query": {"email": "email"}, "requires": ["email"],
        "price": 5, "max_in_flight": 8, "outputs": {"title": "person.title"}}}]}
    assert http.send("PUT", f"/v1/admin/tenants/{tenant.tenant_id}/config", ADMIN_KEY,
                     config).status == 200
    records = [{"id": str(i), "email": f"p{i}@example.com"} for i in range(8)]
    created = http.send("POST", "/v1/batches", tenant.api_key, {"records": records, "mode": "advanced"})
    batch_id = created.body["batch_id"]
    aws.pump(topology.INGEST)
    assert aws.mappings[topology.WORK.name].poll_once() == 2  # both chunks, one invocation

    # room for both parts' calls at once (8), so the test does not race the first part's
    # settlement: side by side, the second part's calls begin once the first one has started
    # all of its rows, long before it settled; one by one, only after it settled
    first = min(SEEN.index("settled 0"), SEEN.index("settled 1"))
    before_first_settled = {call for call in SEEN[:first] if call.startswith("p")}
    assert (len(before_first_settled) > 4) is (at_once > 1), SEEN
    aws.drain()
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None and batch.status.value == "completed"
    assert sorted(int(r["id"]) for r in results_rows(aws.ports, batch)) == list(range(8))
    assert batch.credits_spent == 8 * 5 == charged(aws.ports, tenant.tenant_id)
    assert len([call for call in SEEN if call.startswith("p")]) == 8
