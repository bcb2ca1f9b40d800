"""Keep-alive connections to a vendor: reused, replaced when stale, still guarded on connect."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from urllib.error import HTTPError, URLError

import pytest

from chalicelib.domain.enrich.base import CanonicalRecord
from chalicelib.local.fake_vendor import FakeVendor, knows
from chalicelib.netguard import Policy, RefusedDestination
from chalicelib.sources.config import HttpSourceConfig
from chalicelib.sources.http_provider import HttpProvider
from chalicelib.sources.pool import ConnectionPool

LOOPBACK = Policy(allow_loopback=True)


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    server = FakeVendor(latency=0.0, limit=10_000).start()
    yield server
    server.stop()


def emails(count: int, known: bool = True) -> list[str]:
    return [e for e in (f"p{n}@acme.com" for n in range(count * 4)) if knows(e) == known][:count]


def test_sequential_calls_reuse_one_connection(vendor: FakeVendor) -> None:
    pool = ConnectionPool(LOOPBACK, size=4)

    for email in emails(5):
        with pool.open(urllib.request.Request(f"{vendor.url}?email={email}"), timeout=5) as reply:
            assert reply.status == 200 and b"Head of Sales" in reply.read()

    assert (vendor.stats.calls, vendor.stats.connections, pool.opened) == (5, 1, 1)


def test_a_non_2xx_answer_raises_like_urllib_and_keeps_the_connection(vendor: FakeVendor) -> None:
    pool = ConnectionPool(LOOPBACK)
    missing = emails(1, known=False)[0]

    with pytest.raises(HTTPError) as raised:
        pool.open(urllib.request.Request(f"{vendor.url}?email={missing}"), timeout=5)

    assert raised.value.code == 404 and b"not found" in raised.value.read()
    pool.open(urllib.request.Request(f"{vendor.url}?email={emails(1)[0]}"), timeout=5)
    assert vendor.stats.connections == 1


def test_a_connection_the_vendor_closed_while_idle_is_replaced_once(vendor: FakeVendor) -> None:
    pool = ConnectionPool(LOOPBACK)
    first, second = emails(2)
    pool.open(urllib.request.Request(f"{vendor.url}?email={first}"), timeout=5)
    for idle in pool._idle.values():  # the vendor's side hangs up on the idle connection
        for connection in idle:
            assert connection.sock is not None
            connection.sock.shutdown(2)

    with pool.open(urllib.request.Request(f"{vendor.url}?email={second}"), timeout=5) as reply:
        assert reply.status == 200
    assert pool.opened == 2


def test_every_new_connection_is_checked_on_its_address(vendor: FakeVendor) -> None:
    with pytest.raises(URLError) as raised:
        ConnectionPool(Policy()).open(urllib.request.Request(vendor.url), timeout=5)

    assert isinstance(raised.value.reason, RefusedDestination)
    assert vendor.stats.calls == 0


def test_concurrent_rows_stay_within_max_in_flight_on_pooled_connections(vendor: FakeVendor) -> None:
    vendor.reset(latency=0.05)
    config = HttpSourceConfig(name="people", url=vendor.url, query={"email": "email"}, price=1,
                              outputs={"title": "person.title"}, rate_limit_per_second=1000,
                              max_in_flight=3)
    provider = HttpProvider(config, policy=LOOPBACK)
    records: list[CanonicalRecord] = [{"email": e} for e in emails(12)]

    threads = [threading.Thread(target=provider.enrich, args=(r,)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert vendor.stats.accepted == 12
    assert vendor.stats.max_in_flight == 3
    assert vendor.stats.connections == 3  # one per call in flight, kept alive for the others
