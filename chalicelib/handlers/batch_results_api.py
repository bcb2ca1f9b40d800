"""Routes of /v1/batches that read a batch's rows and results: per-row pages, the preview, files."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.errors import Conflict
from chalicelib.handlers.batch_access import readable_batch
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery, wants_link
from chalicelib.handlers.queries import ROWS_PAGE, ResultsQuery, RowsQuery, page_limit
from chalicelib.keys import results_key
from chalicelib.services.ports import get_ports

results_api = ApiRoutes(__name__)


@results_api.route("/v1/batches/{batch_id}/rows", methods=["GET"], query=RowsQuery,
                   responses={200: Answer("A page of rows.", "RowsPage")})
def rows(batch_id: str) -> dict[str, Any]:
    """Every row in input order with its current status (pending, parked and settled ones),
    optionally of one status: ``status``, ``limit`` (≤ 1000), ``offset``."""
    from chalicelib.services import batches as service
    from chalicelib.services.rows import rows_page

    tenant_id = results_api.tenant()
    query = results_api.query(RowsQuery)
    ports = get_ports()
    batch = service.get_batch(ports, tenant_id, batch_id)
    limit, paging = page_limit(query.limit, ROWS_PAGE, "offset")
    return rows_page(ports, batch, query.status, limit, query.offset) | paging


@results_api.route("/v1/batches/{batch_id}/preview", methods=["GET"], auth="tenant_or_upload",
                   query=NoQuery, responses={200: Answer("Counts only.", "PreviewBody")})
def batch_preview(batch_id: str) -> dict[str, Any]:
    """Counts only (rows, matches, emails, phones … found): no personal data (also with
    ``Authorization: Batch <upload_token>`` for an unclaimed upload)."""
    from chalicelib.services.rows import preview

    batch, _ = readable_batch(results_api, batch_id, NoQuery)
    return preview(batch)


@results_api.route("/v1/batches/{batch_id}/results.csv", methods=["GET"], query=ResultsQuery,
                   responses={200: Answer("The link, with Accept: application/json.", "FileLink"),
                              302: Answer("To the file.", headers=("Location",))})
def results(batch_id: str) -> Response:
    """302 to the results file (``?format=jsonl`` for rows.jsonl)."""
    tenant_id = results_api.tenant()
    query = results_api.query(ResultsQuery)
    return _redirect_to(tenant_id, batch_id, "results.csv" if query.format == "csv" else "rows.jsonl")


@results_api.route("/v1/batches/{batch_id}/credits.csv", methods=["GET"], query=NoQuery,
                   responses={200: Answer("The link, with Accept: application/json.", "FileLink"),
                              302: Answer("To the file.", headers=("Location",))})
def credits_file(batch_id: str) -> Response:
    """302 to credits.csv: one line per charge (a row charged twice has two lines)."""
    tenant_id = results_api.tenant()
    results_api.no_query()
    return _redirect_to(tenant_id, batch_id, "credits.csv")


@results_api.route("/v1/batches/{batch_id}/errors.csv", methods=["GET"], query=NoQuery,
                   responses={200: Answer("The link, with Accept: application/json.", "FileLink"),
                              302: Answer("To the file.", headers=("Location",))})
def errors_file(batch_id: str) -> Response:
    """302 to errors.csv: failed and skipped rows with their reason codes."""
    tenant_id = results_api.tenant()
    results_api.no_query()
    return _redirect_to(tenant_id, batch_id, "errors.csv")


@results_api.route("/v1/batches/{batch_id}/summary.json", methods=["GET"], query=NoQuery,
                   responses={200: Answer("The link, with Accept: application/json.", "FileLink"),
                              302: Answer("To the file.", headers=("Location",))})
def summary_file(batch_id: str) -> Response:
    """302 to summary.json: the totals of the results files."""
    tenant_id = results_api.tenant()
    results_api.no_query()
    return _redirect_to(tenant_id, batch_id, "summary.json")


def _redirect_to(tenant_id: str, batch_id: str, name: str) -> Response:
    from chalicelib.services import batches as service

    ports = get_ports()
    batch = service.get_batch(ports, tenant_id, batch_id)
    if not batch.has_results:
        raise Conflict(f"The results are not ready: the batch is {batch.status.value}.",
                       status=batch.status.value)
    ttl, filename = ports.settings.results_url_ttl_seconds, f"{batch.batch_id}-{name}"
    url = ports.blobs.download_url(results_key(batch, name), ttl, filename)
    if wants_link(results_api.current_request):  # a browser page cannot read a cross-origin 302
        return Response(body={"url": url, "filename": filename, "expires_in": ttl}, status_code=200)
    return Response(body="", status_code=302, headers={"Location": url})
