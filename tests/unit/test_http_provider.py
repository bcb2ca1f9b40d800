"""HttpProvider against a scripted fake vendor on 127.0.0.1: mapping, retries, limits, breaker."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult, Lookup
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import RowStatus
from chalicelib.netguard import Policy
from chalicelib.sources.config import HttpSourceConfig
from chalicelib.sources.http_provider import HttpProvider
from chalicelib.sources.pool import ConnectionPool
from chalicelib.sources.resilience import TokenBucket, backoff_delay, parse_retry_after
from tests.fake_vendor import FakeClock, FakeVendor, Reply, serving

SECRET = "s3cr3t-token-42"
HIT_OUTPUTS = {"title": "VP Sales", "company": "Acme GmbH", "work_email": "jane@acme.de",
               "skills": '["sales","sql"]', "phone": None}
NO_OUTPUTS = dict.fromkeys(HIT_OUTPUTS)
LOOPBACK = ConnectionPool(Policy(allow_loopback=True))  # the fake vendor listens on 127.0.0.1


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    with serving() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def config(base: str, **overrides: Any) -> HttpSourceConfig:
    return HttpSourceConfig.model_validate({
        "name": "acme", "url": base + "/v1/people/{email}",
        "query": {"country": "country", "full_name": "name"}, "headers": {"X-Client": "be-tests"},
        "auth_header": "Authorization", "auth_scheme": "Bearer", "secret_name": "acme-api-key",
        "requires": ["email"], "match_path": "person.id", "price": 2,
        "outputs": {"title": "person.job.title", "company": "person.job.company.name",
                    "work_email": "emails.0.address", "skills": "person.skills",
                    "phone": "person.phones.0"},
        "timeout_seconds": 2, "rate_limit_per_second": 1000, **overrides,
    })


def provider(vendor: FakeVendor, clock: FakeClock, **overrides: Any) -> HttpProvider:
    return HttpProvider(config(vendor.url, **overrides), secret=SECRET, clock_epoch=clock.epoch,
                        sleep=clock.sleep, opener=LOOPBACK, random=lambda: 0.0)


JANE = {"email": "jane+sales@acme.de", "name": "Jane Doe", "country": "DE"}


def test_a_hit_maps_nested_and_indexed_paths_and_sends_auth_and_query(
        vendor: FakeVendor, clock: FakeClock) -> None:
    result = provider(vendor, clock).enrich(JANE)

    assert result == EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=HIT_OUTPUTS,
                                    lookup=Lookup.VENDOR)
    [seen] = vendor.requests
    assert (seen.method, seen.path) == ("GET", "/v1/people/jane%2Bsales%40acme.de")
    assert seen.query == {"country": ["DE"], "full_name": ["Jane Doe"]}
    assert (seen.headers["Authorization"], seen.headers["X-Client"]) == (f"Bearer {SECRET}", "be-tests")


def test_post_sends_the_mapped_json_body_and_a_bare_key_header(
        vendor: FakeVendor, clock: FakeClock) -> None:
    acme = provider(vendor, clock, url=vendor.url + "/v2/match", method="POST", query={},
                    body={"email": "email", "company_domain": "domain"},
                    auth_header="X-Api-Key", auth_scheme="")

    assert acme.enrich(JANE).matched is True
    [seen] = vendor.requests
    # The record has no domain: that optional key is left out instead of sent empty.
    assert (seen.method, json.loads(seen.body)) == ("POST", {"email": "jane+sales@acme.de"})
    assert (seen.headers["X-Api-Key"], seen.headers["Content-Type"]) == (SECRET, "application/json")


def test_a_404_is_a_clean_no_match_and_is_not_retried(vendor: FakeVendor, clock: FakeClock) -> None:
    vendor.route("*", Reply(404, {"error": "not found"}))

    result = provider(vendor, clock).enrich(JANE)

    assert result == EnricherResult(status=AttributeStatus.RUN, matched=False, outputs=NO_OUTPUTS,
                                    lookup=Lookup.VENDOR)
    assert (len(vendor.requests), clock.sleeps) == (1, [])


@pytest.mark.parametrize(("match_path", "body", "matched"), [
    ("person.id", {"person": {"id": "", "job": {"title": "CEO"}}}, False),
    (None, {"person": {"job": {"title": "  "}}, "emails": []}, False),
    (None, {"emails": [{"address": "jane@acme.de"}]}, True),
])
def test_a_2xx_matches_only_when_the_match_path_or_any_output_has_a_value(
        vendor: FakeVendor, clock: FakeClock, match_path: str | None, body: Any, matched: bool) -> None:
    vendor.route("*", Reply(200, body))

    result = provider(vendor, clock, match_path=match_path).enrich(JANE)

    # An unmatched answer hands out nothing: it is not billed.
    assert (result.status, result.matched, result.outputs == NO_OUTPUTS) == (
        AttributeStatus.RUN, matched, not matched)


def test_a_slow_reply_fails_only_its_own_row(vendor: FakeVendor, clock: FakeClock) -> None:
    vendor.route("/v1/people/slow@acme.de", Reply(delay=1.0))
    pipeline = Pipeline([provider(vendor, clock, timeout_seconds=0.3, max_retries=0)])
    started = time.monotonic()

    slow, fast = (pipeline.enrich_row(ChunkRow(i=i, v=[email]), {"email": 0})
                  for i, email in enumerate(["slow@acme.de", "fast@acme.de"]))

    assert (slow.status, slow.attributes, slow.error) == (
        RowStatus.FAILED, {"acme": "ERROR"}, "acme: timeout (0.3s)")
    assert (fast.status, fast.matched, fast.outputs) == (RowStatus.COMPLETED, True, {"acme": HIT_OUTPUTS})
    assert time.monotonic() - started < 0.9  # the timeout cut the 1 s reply short


@pytest.mark.parametrize(("retry_after", "waited"), [("1", 1.0), (None, 0.5), ("3600", 60.0)])
def test_a_429_waits_retry_after_or_backs_off_then_retries(
        vendor: FakeVendor, clock: FakeClock, retry_after: str | None, waited: float) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    vendor.route("*", Reply(429, {"error": "slow down"}, headers), Reply())

    result = provider(vendor, clock).enrich(JANE)

    assert (result.matched, clock.sleeps, len(vendor.requests)) == (True, [waited], 2)


def test_5xx_exhausts_the_retries_with_exponential_backoff(vendor: FakeVendor, clock: FakeClock) -> None:
    vendor.route("*", Reply(503, b"upstream down"))

    result = provider(vendor, clock).enrich(JANE)

    assert result == EnricherResult(status=AttributeStatus.ERROR, error="HTTP 503 after 4 attempts",
                                    lookup=Lookup.VENDOR)
    assert (clock.sleeps, len(vendor.requests)) == ([0.5, 1.0, 2.0], 4)


def test_backoff_is_capped_and_jittered_by_at_most_a_tenth() -> None:
    assert [backoff_delay(n, 0.5, lambda: 1.0) for n in (0, 1, 2)] == pytest.approx([0.55, 1.1, 2.2])
    assert backoff_delay(12, 0.5, lambda: 0.0) == 10.0


def test_the_breaker_opens_after_failed_records_and_a_half_open_trial_closes_it(
        vendor: FakeVendor, clock: FakeClock) -> None:
    vendor.route("*", Reply(500))
    acme = provider(vendor, clock, max_retries=1, breaker_threshold=2, breaker_cooldown_seconds=30)

    failed = [acme.enrich(JANE).error for _ in range(2)]
    refused = acme.enrich(JANE)
    clock.now += 29.0
    still_refused = acme.enrich(JANE)

    assert failed == ["HTTP 500 after 2 attempts"] * 2
    assert (refused.status, refused.error, still_refused.error) == (
        AttributeStatus.ERROR, "circuit open", "circuit open")
    assert len(vendor.requests) == 4  # nothing reached the vendor while the circuit was open
    vendor.route("*", Reply())
    clock.now += 1.0
    assert [acme.enrich(JANE).matched for _ in range(2)] == [True, True]
    assert (len(vendor.requests), acme.describe()["breaker"]) == (6, "closed")


def test_a_failed_half_open_trial_reopens_the_circuit(vendor: FakeVendor, clock: FakeClock) -> None:
    vendor.route("*", Reply(502))
    acme = provider(vendor, clock, max_retries=0, breaker_threshold=1, breaker_cooldown_seconds=30)
    acme.enrich(JANE)
    clock.now += 30.0

    trial, after = acme.enrich(JANE), acme.enrich(JANE)

    assert (trial.error, after.error, len(vendor.requests)) == ("HTTP 502",
                                                                "circuit open", 2)
    assert acme.describe()["breaker"] == "open"


def test_the_rate_limit_spaces_calls(vendor: FakeVendor, clock: FakeClock) -> None:
    acme = provider(vendor, clock, rate_limit_per_second=10)

    results = [acme.enrich(JANE) for _ in range(5)]

    assert all(r.matched for r in results)
    assert clock.sleeps == pytest.approx([0.1] * 4)  # 5 calls at 10/s take 0.4 s


def test_concurrent_callers_each_get_their_own_slot() -> None:
    waits: list[float] = []
    bucket = TokenBucket(rate=10, clock=lambda: 0.0, sleep=waits.append)
    threads = [threading.Thread(target=bucket.acquire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)

    assert sorted(waits) == pytest.approx([n / 10 for n in range(1, 8)])  # the first had a token


@pytest.mark.parametrize("record", [{"name": "Jane Doe"}, {"email": "  "}])
def test_a_record_without_its_required_field_is_not_sent(
        vendor: FakeVendor, clock: FakeClock, record: dict[str, str]) -> None:
    # ``{email}`` in the URL makes email required even when ``requires`` does not say so.
    result = provider(vendor, clock, requires=[]).enrich(record)

    assert (result, vendor.requests) == (EnricherResult(AttributeStatus.RUN_CONDITION_FAILED), [])


@pytest.mark.parametrize(("reply", "error"), [
    (Reply(400, {"error": "bad email"}), "HTTP 400"),
    # Following it would hand the auth header to whatever host the Location names.
    (Reply(302, b"", {"Location": "http://127.0.0.1:9/steal"}), "HTTP 302"),
    (Reply(200, b"<html>maintenance</html>"), "response is not JSON"),
])
def test_a_bad_answer_is_an_error_without_retry(
        vendor: FakeVendor, clock: FakeClock, reply: Reply, error: str) -> None:
    vendor.route("*", reply)
    acme = provider(vendor, clock, breaker_threshold=1)

    results = [acme.enrich(JANE) for _ in range(2)]

    assert results == [EnricherResult(status=AttributeStatus.ERROR, error=error, lookup=Lookup.VENDOR)] * 2
    # The vendor answered, so it is up: no retry (the one sleep is the 1000/s rate limit's
    # spacing between the two records, not a backoff), and the breaker stays closed.
    assert (len(vendor.requests), clock.sleeps, acme.describe()["breaker"]) == (2, [0.001], "closed")


def test_the_secret_appears_neither_in_describe_nor_in_errors(vendor: FakeVendor, clock: FakeClock) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    vendor.route("*", Reply(401, {"error": f"bad key {SECRET}"}), Reply(500, SECRET.encode()))
    acme = provider(vendor, clock, max_retries=1)
    dead = HttpProvider(config(dead_url), secret=SECRET, sleep=clock.sleep, opener=LOOPBACK)

    errors = [acme.enrich(JANE).error, acme.enrich(JANE).error, dead.enrich(JANE).error]

    assert errors[:2] == ["HTTP 401", "HTTP 500 after 2 attempts"]
    assert errors[2] is not None and errors[2].startswith("connection error")
    described = json.dumps([acme.describe(), dead.describe()])
    assert SECRET not in " ".join(str(e) for e in errors) + described
    assert "be-tests" not in described and acme.describe()["secret_set"] is True


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0
    assert [parse_retry_after(v, now) for v in ("2.5", "soon", "", None)] == [2.5, None, None, None]


@pytest.mark.parametrize("overrides", [
    {"surprise": True}, {"body": {"email": "email"}}, {"secret_name": None},
    {"url": "ftp://vendor/{email}"}, {"url": "http://vendor/{email!r}"}, {"price": -1},
    {"url": "http://{domain}/people"}, {"url": "http://api.{domain}/x"}, {"url": "http://v:{zip}/x"},
])
def test_a_bad_config_is_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        config("http://vendor.test", **overrides)


def test_the_default_opener_refuses_loopback_without_calling_or_retrying(
        vendor: FakeVendor, clock: FakeClock) -> None:
    guarded = HttpProvider(config(vendor.url), secret=SECRET, clock_epoch=clock.epoch,
                           sleep=clock.sleep)

    result = guarded.enrich(JANE)

    assert result.error is not None and result.error.startswith("destination refused")
    assert "loopback" in result.error and vendor.requests == [] and clock.sleeps == []


def test_a_provider_with_auth_needs_its_secret() -> None:
    with pytest.raises(ValueError, match="acme-api-key"):
        HttpProvider(config("http://vendor.test"))
