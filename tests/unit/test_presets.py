"""Each preset against a loopback fake answering in its vendor's documented shape: the request
it sends, what a match, a miss and a "slow down" become, and how a tenant overrides it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, EnricherResult
from chalicelib.sources.http_provider import HttpProvider
from chalicelib.sources.presets import PRESETS
from chalicelib.sources.spec import PresetName, PresetSource, TenantConfig
from tests.fake_vendor import FakeClock, FakeVendor, Reply, serving
from tests.unit.test_http_provider import LOOPBACK

KEY = "vendor-key-123"


@pytest.fixture
def vendor() -> Iterator[FakeVendor]:
    with serving() as server:
        yield server


def preset(vendor: FakeVendor, name: str, path: str, **overrides: Any) -> tuple[HttpProvider, FakeClock]:
    """The preset as a tenant configures it, pointed at the fake (the only override besides price)."""
    source = PresetSource.model_validate({"preset": name, "secret_name": "key", "price": 2,
                                          "url": vendor.url + path, **overrides})
    clock = FakeClock()
    return HttpProvider(source.http_config(), secret=KEY, clock_epoch=clock.epoch, sleep=clock.sleep,
                        opener=LOOPBACK, random=lambda: 0.0), clock


def ask(provider: HttpProvider, record: CanonicalRecord) -> EnricherResult:
    return provider.enrich(record)


def headers(vendor: FakeVendor, n: int = 0) -> dict[str, str]:
    """The headers of the fake's n-th request, by lower-case name (HTTP names are case-blind)."""
    return {name.lower(): value for name, value in vendor.requests[n].headers.items()}


# People Data Labs: a match is 200 {"status", "likelihood", "data"}; no match is 404.
PDL_SEAN = {"status": 200, "likelihood": 9, "data": {
    "id": "qEnOZ5Oh0poWnQ1luFBfVw_0000", "full_name": "sean thorne",
    "job_title": "co-founder and chief executive officer", "job_company_name": "people data labs",
    "job_company_website": "peopledatalabs.com", "linkedin_url": "linkedin.com/in/seanthorne",
    "work_email": "sean@peopledatalabs.com", "mobile_phone": None,
    "location_name": "san francisco, california, united states",
    "industry": "computer software"}}
PDL_NONE = {"status": 404, "error": {"type": "not_found",
                                     "message": "No records were found matching your request"}}


def test_peopledatalabs_person_maps_a_match_and_a_404_is_no_match(vendor: FakeVendor) -> None:
    vendor.route("*", Reply(200, PDL_SEAN), Reply(404, PDL_NONE))
    pdl, _ = preset(vendor, "peopledatalabs_person", "/v5/person/enrich")

    hit = ask(pdl, {"email": "sean@peopledatalabs.com", "full_name": "Sean Thorne",
                    "linkedin": "linkedin.com/in/seanthorne"})
    miss = ask(pdl, {"email": "nobody@example.com"})

    assert (hit.status, hit.matched) == (AttributeStatus.RUN, True)
    assert hit.outputs["job_title"] == "co-founder and chief executive officer"
    assert (hit.outputs["company"], hit.outputs["likelihood"], hit.outputs["mobile_phone"]) == (
        "people data labs", 9, None)
    assert (miss.status, miss.matched, miss.error) == (AttributeStatus.RUN, False, None)
    first = vendor.requests[0]
    assert (first.method, first.path, headers(vendor)["x-api-key"]) == ("GET", "/v5/person/enrich", KEY)
    assert first.query == {"email": ["sean@peopledatalabs.com"], "name": ["Sean Thorne"],
                           "profile": ["linkedin.com/in/seanthorne"]}
    assert "authorization" not in headers(vendor)


def test_peopledatalabs_429_without_retry_after_backs_off_and_retries(vendor: FakeVendor) -> None:
    limited = {"status": 429, "error": {"type": "rate_limit_error", "message": "rate limit"}}
    vendor.route("*", Reply(429, limited, {"x-ratelimit-reset": "2025-10-09T10:01:00Z"}),
                  Reply(200, PDL_SEAN))
    pdl, clock = preset(vendor, "peopledatalabs_person", "/v5/person/enrich",
                        rate_limit_per_second=1000)

    result = ask(pdl, {"email": "sean@peopledatalabs.com"})

    assert (result.matched, len(vendor.requests)) == (True, 2)
    assert clock.sleeps == [0.5]  # the backoff: PDL sends no Retry-After


# Hunter Email Finder: 200 {"data": {"email": ...}} (email null when none found); 403 = slow
# down; 429 = the plan's requests are used up.
HUNTER_FOUND = {"data": {"first_name": "Alexis", "last_name": "Ohanian", "email": "alexis@reddit.com",
                         "score": 97, "domain": "reddit.com", "accept_all": False,
                         "position": "Cofounder", "linkedin_url": None, "phone_number": None,
                         "company": "Reddit", "sources": [{"domain": "redditblog.com"}],
                         "verification": {"date": "2025-09-01", "status": "valid"}},
                "meta": {"params": {"domain": "reddit.com", "first_name": "Alexis",
                                    "last_name": "Ohanian"}}}
HUNTER_NONE = {"data": {"first_name": "Zed", "last_name": "Nobody", "email": None, "score": None,
                        "domain": "reddit.com", "position": None, "verification": None},
               "meta": {"params": {"domain": "reddit.com"}}}
ALEXIS = {"domain": "reddit.com", "first_name": "Alexis", "last_name": "Ohanian"}


def test_hunter_email_finder_maps_a_found_email_and_a_null_one_is_no_match(vendor: FakeVendor) -> None:
    vendor.route("*", Reply(200, HUNTER_FOUND), Reply(200, HUNTER_NONE))
    hunter, _ = preset(vendor, "hunter_email_finder", "/v2/email-finder")

    found = ask(hunter, ALEXIS)
    none = ask(hunter, {"domain": "reddit.com", "first_name": "Zed", "last_name": "Nobody"})

    assert (found.matched, found.outputs["email"], found.outputs["score"]) == (True, "alexis@reddit.com", 97)
    assert (found.outputs["verification"], found.outputs["position"]) == ("valid", "Cofounder")
    assert (none.status, none.matched, none.error) == (AttributeStatus.RUN, False, None)
    first = vendor.requests[0]
    assert (first.path, headers(vendor)["x-api-key"]) == ("/v2/email-finder", KEY)
    assert first.query == {"domain": ["reddit.com"], "first_name": ["Alexis"], "last_name": ["Ohanian"]}


def test_hunter_403_is_its_rate_limit_and_429_its_exhausted_plan(vendor: FakeVendor) -> None:
    rate = {"errors": [{"id": "too_many_requests", "code": 403, "details": "rate limit reached"}]}
    usage = {"errors": [{"id": "too_many_requests", "code": 429, "details": "usage limit reached"}]}
    vendor.route("*", Reply(403, rate), Reply(200, HUNTER_FOUND), Reply(429, usage))
    hunter, clock = preset(vendor, "hunter_email_finder", "/v2/email-finder",
                           rate_limit_per_second=1000)

    waited = ask(hunter, ALEXIS)
    exhausted = ask(hunter, ALEXIS)

    assert (waited.matched, clock.sleeps[0]) == (True, 0.5)  # slowed down, then answered
    assert (exhausted.status, exhausted.error) == (AttributeStatus.ERROR, "HTTP 429")
    assert len(vendor.requests) == 3  # the exhausted plan was not asked again


def test_hunter_is_not_asked_without_a_domain_and_a_last_name(vendor: FakeVendor) -> None:
    hunter, _ = preset(vendor, "hunter_email_finder", "/v2/email-finder")

    result = ask(hunter, {"first_name": "Alexis", "last_name": "Ohanian", "company": "Reddit"})

    assert (result.status, vendor.requests) == (AttributeStatus.RUN_CONDITION_FAILED, [])


# Foursquare Place Match: 200 {"place": {...}} on a match; no place (or 404) is no match.
WRIGLEY = {"place": {"fsq_place_id": "4b9ff0c3f964a520a09a37e3", "name": "Wrigley Field",
                     "latitude": 41.948, "longitude": -87.655,
                     "location": {"address": "1060 W Addison St", "locality": "Chicago",
                                  "region": "IL", "postcode": "60613", "country": "US",
                                  "formatted_address": "1060 W Addison St, Chicago, IL 60613"},
                     "categories": [{"fsq_category_id": "4bf58dd8d48988d1e8941735",
                                     "name": "Baseball Stadium"}],
                     "tel": "(773) 404-2827", "website": "https://www.mlb.com/cubs"},
           "match_score": 0.99}
PLACE = {"company": "Wrigley Field", "street": "1060 W Addison St", "city": "Chicago",
         "state": "IL", "zip": "60613"}


@pytest.mark.parametrize("miss", [Reply(200, {}), Reply(200, {"place": None}),
                                  Reply(404, {"message": "No match found"})])
def test_foursquare_place_match_maps_a_place_and_no_place_is_no_match(
        vendor: FakeVendor, miss: Reply) -> None:
    vendor.route("*", Reply(200, WRIGLEY), miss)
    fsq, _ = preset(vendor, "foursquare_place_match", "/places/match")

    hit, none = ask(fsq, PLACE), ask(fsq, {**PLACE, "company": "Nowhere Diner"})

    assert (hit.matched, hit.outputs["name"], hit.outputs["category"]) == (True, "Wrigley Field",
                                                                          "Baseball Stadium")
    assert (hit.outputs["latitude"], hit.outputs["address"]) == (
        41.948, "1060 W Addison St, Chicago, IL 60613")
    assert (none.status, none.matched, none.error) == (AttributeStatus.RUN, False, None)
    first = vendor.requests[0]
    assert (first.path, headers(vendor)["authorization"]) == ("/places/match", f"Bearer {KEY}")
    assert headers(vendor)["x-places-api-version"] == "2025-06-17"
    assert first.query == {"name": ["Wrigley Field"], "address": ["1060 W Addison St"],
                           "city": ["Chicago"], "state": ["IL"], "postal_code": ["60613"]}


def test_overrides_replace_scalars_and_merge_maps_key_by_key() -> None:
    source = PresetSource.model_validate({
        "preset": "peopledatalabs_person", "secret_name": "pdl", "price": 4,
        "rate_limit_per_second": 16, "requires": ["linkedin"],
        "query": {"company": None, "min_likelihood": "min_likelihood"},
        "outputs": {"industry": None, "twitter": "data.twitter_url"}})

    config = source.http_config()

    assert (config.price, config.rate_limit_per_second, config.requires) == (4, 16, ["linkedin"])
    assert "company" not in config.query and config.query["min_likelihood"] == "min_likelihood"
    assert "industry" not in config.outputs and config.outputs["twitter"] == "data.twitter_url"
    assert config.url == PRESETS["peopledatalabs_person"]["url"]


@pytest.mark.parametrize(("entry", "loc"), [
    ({"preset": "clearbit", "secret_name": "k", "price": 1}, ("sources", 0, "preset", "preset")),
    ({"preset": "hunter_email_finder", "price": 1}, ("sources", 0, "preset", "secret_name")),
    ({"preset": "hunter_email_finder", "secret_name": "k"}, ("sources", 0, "preset", "price")),
    ({"preset": "hunter_email_finder", "secret_name": "k", "price": 1, "colour": "red"},
     ("sources", 0, "preset", "colour")),
])
def test_a_bad_preset_entry_names_what_to_fix(entry: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        TenantConfig.model_validate({"sources": [entry]})

    assert [error["loc"] for error in refused.value.errors()] == [loc]


def test_every_preset_is_named_and_valid_with_a_secret_and_a_price() -> None:
    assert set(get_args(PresetName)) == set(PRESETS)
    for name in PRESETS:
        config = PresetSource.model_validate({"preset": name, "secret_name": "k", "price": 1}).http_config()
        assert config.url.startswith("https://") and config.auth_header
