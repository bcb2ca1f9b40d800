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
_SEEN_CHANGED = threading.Condition()
# How long the vendor holds a call for the other part's calls to begin (0: it answers every
# call after 0.2 s). Side by side, the other part starts once the first one has started all of
# its rows, so while they are held; a call held in vain is noted ("held too long"). With a fixed
# 0.2 s the test raced (1 run in 20 with six busy loops): the first part passed its turn only
# when its first row had finished, and its settlement could come before the other part's calls.
HOLD = {"seconds": 0.0}


def _saw(what: str) -> None:
    with _SEEN_CHANGED:
        SEEN.append(what)
        _SEEN_CHANGED.notify_all()


def _calls() -> int:
    return len([call for call in SEEN if call.startswith("p")])


class _Vendor(JsonHandler):
    def do_GET(self) -> None:
        _saw(parse_qs(urlparse(self.path).query).get("email", [""])[0].partition("@")[0])
        if HOLD["seconds"]:
            with _SEEN_CHANGED:  # a part holds 4 rows: a 5th call is the other part's
                if not _SEEN_CHANGED.wait_for(lambda: _calls() > 4, timeout=HOLD["seconds"]):
                    SEEN.append("held too long")
        else:
            time.sleep(0.2)
        self.reply(200, {"person": {"title": "CTO"}})


@pytest.fixture
def vendor(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    SEEN.clear()
    HOLD["seconds"] = 0.0
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
    # side by side, the first part's calls are answered once the other part's calls began
    # (within 5 s, under the source's 10 s timeout: parts one after another never see them)
    HOLD["seconds"] = 5.0 if at_once > 1 else 0.0
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
    assert aws.mappings[topology.ADVANCED_WORK.name].poll_once() == 2  # both chunks, one invocation

    # room for both parts' calls at once (8): side by side, the second part's calls begin once
    # the first one has started all of its rows, before it settled; one by one, only after
    first = min(SEEN.index("settled 0"), SEEN.index("settled 1"))
    before_first_settled = {call for call in SEEN[:first] if call.startswith("p")}
    assert (len(before_first_settled) > 4) is (at_once > 1), SEEN
    assert "held too long" not in SEEN
    aws.drain()
    batch = aws.ports.batches.get(tenant.tenant_id, batch_id)
    assert batch is not None and batch.status.value == "completed"
    assert sorted(int(r["id"]) for r in results_rows(aws.ports, batch)) == list(range(8))
    assert batch.credits_spent == 8 * 5 == charged(aws.ports, tenant.tenant_id)
    assert _calls() == 8
