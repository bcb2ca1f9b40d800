"""The ResultCache port: answers kept until they expire, one claim at a time (fake and adapter)."""

from __future__ import annotations

import pytest

from chalicelib.ports.result_cache import Answer
from chalicelib.services.ports import Ports

KEY = "t_1#people#0f0f"
NOW = 1_760_000_000.0
HIT = Answer(True, {"title": "CTO", "score": 0.75, "tags": ["a"]}, NOW, "b_1")


def test_an_answer_is_read_back_as_kept_until_it_expires(ports: Ports) -> None:
    cache = ports.result_cache
    cache.put(KEY, HIT, expires_at=NOW + 30 * 86400)
    cache.put("t_1#people#miss", Answer(False, {"title": None}, NOW, "b_1"), NOW + 86400)

    got = cache.get_many([KEY, "t_1#people#miss", "t_1#people#never", KEY])

    assert set(got) == {KEY, "t_1#people#miss"}
    assert got[KEY].answer == HIT
    assert got[KEY].usable(NOW + 1, fresh_after=0)
    assert not got[KEY].usable(NOW + 31 * 86400, fresh_after=0)  # expired
    assert not got[KEY].usable(NOW + 1, fresh_after=NOW + 0.5)  # a refresh asked for newer
    assert got["t_1#people#miss"].answer == Answer(False, {"title": None}, NOW, "b_1")


def test_one_claim_at_a_time_until_its_lease_runs_out(ports: Ports) -> None:
    cache = ports.result_cache

    assert cache.claim(KEY, "w1", lease_until=NOW + 30, fresh_after=0, now=NOW)
    assert not cache.claim(KEY, "w2", lease_until=NOW + 31, fresh_after=0, now=NOW + 1)
    entry = cache.get_many([KEY])[KEY]
    assert entry.answer is None and entry.claimed(NOW + 1)
    assert cache.claim(KEY, "w2", lease_until=NOW + 90, fresh_after=0, now=NOW + 31)  # w1 died


def test_an_answer_refuses_claims_unless_a_fresher_one_is_wanted(ports: Ports) -> None:
    cache = ports.result_cache
    assert cache.claim(KEY, "w1", NOW + 30, 0, NOW)
    cache.put(KEY, HIT, expires_at=NOW + 86400)

    assert not cache.claim(KEY, "w2", NOW + 40, fresh_after=0, now=NOW + 10)
    assert cache.claim(KEY, "w2", NOW + 40, fresh_after=NOW + 5, now=NOW + 10)  # refresh


def test_a_released_claim_frees_the_lookup_but_only_its_owner_releases_it(ports: Ports) -> None:
    cache = ports.result_cache
    assert cache.claim(KEY, "w1", NOW + 30, 0, NOW)

    cache.release(KEY, "w2")  # not w2's claim: nothing happens
    assert not cache.claim(KEY, "w3", NOW + 30, 0, NOW + 1)
    cache.release(KEY, "w1")

    assert cache.get_many([KEY]) == {}
    assert cache.claim(KEY, "w3", NOW + 30, 0, NOW + 1)


def test_many_keys_are_read_in_one_call_however_many(ports: Ports) -> None:
    cache = ports.result_cache
    keys = [f"t_1#people#{n:04x}" for n in range(230)]
    for key in keys[::3]:
        cache.put(key, HIT, NOW + 86400)

    got = cache.get_many(keys)

    assert sorted(got) == sorted(keys[::3])
    assert all(entry.answer == HIT for entry in got.values())


@pytest.mark.parametrize("size", [1000, 400_000])
def test_an_answer_too_big_for_an_item_is_not_kept_but_never_fails(ports: Ports, size: int) -> None:
    cache = ports.result_cache
    cache.put(KEY, Answer(True, {"blob": "x" * size}, NOW, "b_1"), NOW + 86400)
    kept = cache.get_many([KEY])
    assert (KEY in kept) == (size < 300_000)
