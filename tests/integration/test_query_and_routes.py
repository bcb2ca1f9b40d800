"""Issue 11 findings 9, 10 and 14: query parameters are parsed like bodies (unknown ones refused,
offset supported, an oversized limit clamped and said so), unknown routes answer the service's 404."""

from __future__ import annotations

from tests.api_client import Cases, Http, api_routes, create, detail_locs, error
from tests.conftest import ADMIN_KEY, Aws


def test_offset_pages_the_batch_list(http: Http, aws: Aws) -> None:
    """#9: GET /v1/batches?limit=2&offset=2 returned the first page (seed 003 pages by offset)."""
    tenant = aws.tenant(100)
    made = [create(http, tenant.api_key, n=1) for _ in range(5)]
    newest_first = made[::-1]

    pages = [http.get(f"/v1/batches?limit=2&offset={offset}", tenant.api_key).json()
             for offset in (0, 2, 4)]
    both = http.get("/v1/batches?limit=2&offset=2&cursor=abc", tenant.api_key)

    assert [[b["batch_id"] for b in page["batches"]] for page in pages] == [
        newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert pages[1]["offset"] == 2
    assert ["offset"] in detail_locs(error(both, 422, "validation_error"))


def test_every_route_refuses_an_unknown_query_parameter(http: Http, aws: Aws) -> None:
    """#9: unknown query parameters were ignored while unknown body fields were a 422."""
    tenant = aws.tenant(100)
    # One caller asking every route (40 and more) within a second: not the rate limit's test.
    aws.ports.settings = aws.ports.settings.model_copy(update={"requests_per_second": 1000})
    cases = Cases()

    for method, path in api_routes():
        key = ADMIN_KEY if path.startswith("/v1/admin/") else tenant.api_key
        with cases.case(f"{method} {path}"):
            body = error(http.call(method, f"{path}?colour=blue", key), 422, "validation_error")
            assert ["query", "colour"] in detail_locs(body) and "unknown" in body["message"]

    cases.check()
    assert len(api_routes()) >= 25


def test_a_repeated_or_overlong_query_parameter_is_refused(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    twice = http.get("/v1/batches?limit=2&limit=3", tenant.api_key)
    long = http.get("/v1/batches?query=" + "q" * 501, tenant.api_key)

    assert "once" in error(twice, 422, "validation_error")["message"]
    assert "500" in error(long, 422, "validation_error")["message"]


def test_a_limit_over_the_largest_page_is_clamped_and_the_answer_says_so(http: Http, aws: Aws) -> None:
    """#14: GET /v1/credits/ledger?limit=1000 was a 422."""
    tenant = aws.tenant(100)
    batch_id = create(http, tenant.api_key, n=3)
    aws.drain()

    ledger = http.get("/v1/credits/ledger?limit=1000", tenant.api_key).json()
    batches = http.get("/v1/batches?limit=500", tenant.api_key).json()
    rows = http.get(f"/v1/batches/{batch_id}/rows?limit=5000", tenant.api_key).json()
    plain = http.get("/v1/credits/ledger?limit=10", tenant.api_key).json()

    assert (ledger["limit"], ledger["max_limit"]) == (200, 200) and "limit=1000" in ledger["warnings"][0]
    assert len(ledger["entries"]) == 2  # the top-up and the charge
    assert (batches["limit"], batches["max_limit"]) == (100, 100) and batches["warnings"]
    assert (rows["limit"], rows["max_limit"], rows["total"]) == (1000, 1000, 3) and rows["warnings"]
    assert plain["warnings"] == [] and plain["limit"] == 10


def test_unknown_routes_answer_the_services_404(http: Http, aws: Aws) -> None:
    """#10: unknown routes answered API Gateway's 403 "Missing Authentication Token"."""
    tenant = aws.tenant(100)
    cases = Cases()

    for method, path, key in (("GET", "/v1/nothing", None), ("GET", "/v1/nothing", tenant.api_key),
                              ("POST", "/v2/batches", tenant.api_key), ("GET", "/", None),
                              ("DELETE", "/v1/batches/b_1/rows/extra/deep", tenant.api_key),
                              ("GET", "/v1/batches/b_1/nothing", tenant.api_key)):
        with cases.case(f"{method} {path} {key is not None}"):
            body = error(http.call(method, path, key), 404, "not_found")
            assert "route" in body["message"] and "Authentication" not in body["message"]

    cases.check()


def test_a_method_a_path_does_not_take_is_a_405_naming_the_ones_it_does(http: Http, aws: Aws) -> None:
    tenant = aws.tenant(100)

    deleted = http.call("DELETE", "/v1/batches", tenant.api_key)
    put = http.call("PUT", "/v1/credits", tenant.api_key)

    body = error(deleted, 405, "method_not_allowed")
    assert deleted.headers["allow"] == "GET, POST" and "GET, POST" in body["message"]
    assert error(put, 405, "method_not_allowed")["details"]["allow"] == "GET"
