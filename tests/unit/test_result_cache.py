"""A vendor source behind the result cache: each lookup input paid for once, across rows,
batches and workers; refresh asks again; errors are never kept; cache trouble costs no row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.enrich.waterfall import PricedSource
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.ports.result_cache import Answer
from chalicelib.sources.cached import CachedSource, CacheScope
from chalicelib.sources.http_provider import HttpProvider
from chalicelib.sources.lookup_input import cache_key, normalized_input
from tests.fake_vendor import FakeClock, FakeVendor, Reply, serving
from tests.fakes.result_cache import InMemoryResultCache
from tests.unit.test_http_provider import LOOPBACK, SECRET, config

ADA = {"email": "ada@acme.de"}


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    with serving() as server:
        yield server


def source(vendor: FakeVendor, cache: Any, batch: str = "b_1", fresh_after: float = 0.0,
           clock: FakeClock | None = None, **overrides: Any) -> CachedSource:
    provider = HttpProvider(config(vendor.url, **{"match_path": None, **overrides}), secret=SECRET,
                            opener=LOOPBACK, random=lambda: 0.0)
    scope = CacheScope("t_1", batch, "US", 30 * 86400.0, fresh_after)
    clock = clock or FakeClock()
    return CachedSource(provider, cache, scope, clock.epoch, clock.sleep)


def enrich(cached: CachedSource, emails: list[str]) -> list[RowResult]:
    """The rows of one part through a pipeline whose waterfall is the cached source."""
    step = PricedSource(cached, 2, frozenset(["title"]), max_in_flight=8)
    pipeline = Pipeline([], frozenset(), [step], price=3)
    return pipeline.enrich_rows([ChunkRow(i=n, v=[email]) for n, email in enumerate(emails)],
                                {"email": 0})


def key_of(record: dict[str, str], base: str = "http://vendor.example", **overrides: Any) -> str:
    cfg = config(base, **{"match_path": None, **overrides})
    inputs = normalized_input(cfg, record, "US")
    assert inputs is not None
    return cache_key("t_1", cfg.name, cfg.answer_fingerprint(), inputs)


def test_duplicates_in_a_part_are_asked_once_however_they_are_spelled(vendor: FakeVendor) -> None:
    vendor.route("*", Reply(delay=0.05))  # slow enough that the duplicates run side by side
    emails = ["ada@acme.de", "ADA@Acme.de ", "bo@acme.de", "ada@acme.de", "bo@acme.de", "cy@acme.de"]

    rows = enrich(source(vendor, InMemoryResultCache()), emails)

    assert len(vendor.requests) == 3
    assert [row.lookups["acme"] for row in rows].count("vendor") == 3
    assert sorted(row.lookups["acme"] for row in rows) == ["batch"] * 3 + ["vendor"] * 3
    # Billing as before: every matched row costs its source's price, reused answer or not.
    assert {(row.status, row.credits) for row in rows} == {(RowStatus.COMPLETED, 2)}
    assert len({str(row.outputs) for row in rows}) == 1


def test_a_second_batch_reuses_every_answer_misses_included(vendor: FakeVendor) -> None:
    vendor.route("/v1/people/bo@acme.de", Reply(404, {"error": "not found"}))
    cache = InMemoryResultCache()
    first = enrich(source(vendor, cache, batch="b_1"), ["ada@acme.de", "bo@acme.de"])
    asked = len(vendor.requests)

    again = enrich(source(vendor, cache, batch="b_2"), ["ada@acme.de", "bo@acme.de"])

    assert (asked, len(vendor.requests)) == (2, 2)
    assert [row.lookups for row in again] == [{"acme": "cache"}] * 2
    assert [(r.status, r.outputs, r.credits) for r in again] == [(r.status, r.outputs, r.credits)
                                                                  for r in first]
    assert [row.status for row in again] == [RowStatus.COMPLETED, RowStatus.NOT_FOUND]


def test_refresh_asks_again_and_keeps_the_fresh_answer(vendor: FakeVendor) -> None:
    cache, clock = InMemoryResultCache(), FakeClock()
    enrich(source(vendor, cache, batch="b_1", clock=clock), ["ada@acme.de"])
    clock.now += 60

    refreshed = enrich(source(vendor, cache, batch="b_2", fresh_after=clock.now, clock=clock),
                       ["ada@acme.de", "ada@acme.de"])
    later = enrich(source(vendor, cache, batch="b_3", clock=clock), ["ada@acme.de"])

    assert len(vendor.requests) == 2  # once at first, once for the refresh, never for b_3
    assert [row.lookups["acme"] for row in refreshed] in (["vendor", "batch"], ["batch", "vendor"])
    kept = cache.entries[key_of(ADA, vendor.url)].answer
    assert kept is not None and (kept.batch_id, kept.fetched_at) == ("b_2", clock.now)
    assert later[0].lookups == {"acme": "cache"}


def test_a_vendor_error_is_not_kept_and_the_next_row_asks_again(vendor: FakeVendor) -> None:
    vendor.route("*", Reply(503), Reply(200))
    cache = InMemoryResultCache()
    cached = source(vendor, cache, max_retries=0)

    first = enrich(cached, ["ada@acme.de"])
    second = enrich(cached, ["ada@acme.de"])

    assert (first[0].status, second[0].status) == (RowStatus.FAILED, RowStatus.COMPLETED)
    assert [first[0].lookups, second[0].lookups] == [{"acme": "vendor"}] * 2
    assert len(vendor.requests) == 2 and cache.owners == {}  # the failed ask left no claim


def test_a_lookup_another_worker_is_asking_waits_for_its_answer(vendor: FakeVendor) -> None:
    cache, clock = InMemoryResultCache(), FakeClock()
    key = key_of(ADA, vendor.url)
    assert cache.claim(key, "other-worker", clock.now + 45, 0.0, clock.now)
    answer = Answer(True, {"title": "CTO"}, clock.now, "b_1")
    polls = []

    def sleep(seconds: float) -> None:  # the other worker answers while this one polls
        polls.append(seconds)
        clock.now += seconds
        if len(polls) == 3:
            cache.put(key, answer, clock.now + 86400)

    clock.sleep = sleep  # type: ignore[method-assign]
    result = source(vendor, cache, batch="b_1", clock=clock).enrich(ADA)

    assert vendor.requests == [] and len(polls) == 3
    assert (result.status, result.matched, result.outputs, result.lookup) == (
        AttributeStatus.RUN, True, {"title": "CTO"}, "batch")


def test_a_claim_whose_worker_died_is_taken_over_when_its_lease_ends(vendor: FakeVendor) -> None:
    cache, clock = InMemoryResultCache(), FakeClock()
    assert cache.claim(key_of(ADA, vendor.url), "dead-worker", clock.now + 2, 0.0, clock.now)

    result = source(vendor, cache, clock=clock).enrich(ADA)

    assert (len(vendor.requests), result.lookup, result.matched) == (1, "vendor", True)
    assert 2 <= sum(clock.sleeps) < 3  # it waited out the lease, not the source's whole timeout
    assert cache.entries[key_of(ADA, vendor.url)].answer is not None


class BrokenCache:
    """A cache whose every call fails (DynamoDB throttling, a missing table)."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any) -> Any:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return fail


def test_cache_trouble_costs_no_row_only_the_saving(vendor: FakeVendor) -> None:
    rows = enrich(source(vendor, BrokenCache()), ["ada@acme.de", "bo@acme.de", "ada@acme.de"])

    assert [row.status for row in rows] == [RowStatus.COMPLETED] * 3
    assert len(vendor.requests) == 2  # the duplicate still waited for its twin in this process


def test_a_row_without_the_input_is_not_a_lookup(vendor: FakeVendor) -> None:
    cache = InMemoryResultCache()
    result = source(vendor, cache).enrich({"phone": "+14155550100"})

    assert (result.status, result.lookup, vendor.requests, cache.reads) == (
        AttributeStatus.RUN_CONDITION_FAILED, None, [], 0)


def test_keys_normalize_the_input_and_change_with_what_shapes_the_answer() -> None:
    assert key_of({"email": " Ada@ACME.de"}) == key_of(ADA)
    assert key_of({**ADA, "name": "Ada  Lovelace"}) == key_of({**ADA, "name": "ada lovelace"})
    assert key_of({**ADA, "country": "DE"}) != key_of(ADA)  # a query parameter the vendor sees
    assert key_of(ADA, outputs={"title": "person.title"}) != key_of(ADA)  # another mapping
    assert key_of(ADA, price=9, timeout_seconds=4) == key_of(ADA)  # not what the vendor answers
    assert "ada" not in key_of(ADA)  # no personal data in a key
    phone = config("", url="http://v.example/{phone}", query={}, requires=[], match_path=None)
    spelled = [normalized_input(phone, {"phone": p}, "US") for p in
               ("(415) 555-0100", "+1 415 555 0100", "415.555.0100")]
    assert spelled == [{"phone": "+14155550100"}] * 3
