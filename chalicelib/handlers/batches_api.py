"""Routes of /v1/batches: parse, call one service function, map the answer."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.errors import Conflict, InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from chalicelib.domain.models import Batch, BatchStatus, RowStatus
from chalicelib.domain.options import (
    BatchOptions,
    BatchPatch,
    JsonBatchRequest,
    LinkRequest,
    ReprocessRequest,
)
from chalicelib.domain.status import status_body
from chalicelib.domain.upload import records_to_csv
from chalicelib.handlers.http import (
    ApiRoutes,
    content_type,
    decode_json_fields,
    form_with_file,
    json_body,
    parse_model,
    wants_link,
)
from chalicelib.keys import results_key
from chalicelib.services import batches as service
from chalicelib.services import claims
from chalicelib.services.idempotency import create_once, request_hash
from chalicelib.services.intake import take_in
from chalicelib.services.ports import get_ports
from chalicelib.services.reprocess import reprocess_batch
from chalicelib.services.rows import preview, rows_page

api = ApiRoutes(__name__)
# Every type reaches the view, so an unsupported one gets our 415 in the one error shape.
ACCEPTED = ["*/*"]
_JSON_FIELDS = ("metadata", "column_map", "max_credits")


def _accepted(batch: Batch, status_code: int = 202) -> Response:
    return Response(body=status_body(batch), status_code=status_code)


def _submission() -> tuple[bytes, str, BatchOptions]:
    """The file (or JSON records as a CSV), its name and the options of a create or preflight."""
    request = api.current_request
    limit = get_ports().settings.max_upload_bytes
    if len(request.raw_body or b"") > limit + 64 * 1024:
        raise PayloadTooLarge(_too_large(limit))
    kind = content_type(request)
    if kind == "multipart/form-data":
        fields, filename, data = form_with_file(request)
        options = parse_model(BatchOptions, decode_json_fields(fields, _JSON_FIELDS))
    elif kind == "application/json":
        body = parse_model(JsonBatchRequest, json_body(request))
        options = BatchOptions.model_validate(body.model_dump(exclude={"records"}))
        filename, data = "records.json", records_to_csv(body.records)
    else:
        raise UnsupportedMediaType(
            "Send multipart/form-data with a 'file' field, or application/json with 'records'."
        )
    if len(data) > limit:
        raise PayloadTooLarge(_too_large(limit))
    return data, filename or "upload.csv", options


@api.route("/v1/batches", methods=["POST"], content_types=ACCEPTED)
def create_batch() -> Response:
    """Create a batch from a multipart CSV upload or a JSON list of records."""
    ports = get_ports()
    if not api.current_request.headers.get("authorization") and ports.settings.anonymous_uploads:
        return _create_unclaimed()
    tenant_id = api.tenant()
    data, filename, options = _submission()
    key = api.current_request.headers.get("idempotency-key")
    if key is None:
        submitted = service.submit(ports, tenant_id, data, filename, options)
        body = status_body(submitted.batch) | {"input": submitted.intake.to_json()}
        return Response(body=body, status_code=202)
    intake: dict[str, Any] = {}

    def create(batch_id: str) -> Batch:
        submitted = service.submit(ports, tenant_id, data, filename, options, batch_id)
        intake.update(submitted.intake.to_json())
        return submitted.batch

    batch, created = create_once(ports, tenant_id, key, request_hash(data, options), create)
    body = status_body(batch) | ({"input": intake} if created else {})
    return Response(body=body, status_code=202 if created else 200)


def _create_unclaimed() -> Response:
    data, filename, options = _submission()
    unclaimed = claims.create_unclaimed(get_ports(), data, filename, options)
    body = status_body(unclaimed.batch) | {"upload_token": unclaimed.upload_token,
                                           "input": unclaimed.intake}
    return Response(body=body, status_code=202)


@api.route("/v1/batches/{batch_id}/link", methods=["POST"], content_types=ACCEPTED)
def link(batch_id: str) -> Response:
    """Claim an anonymous upload with a tenant key and its ``upload_token``; it starts then."""
    tenant_id = api.tenant()
    body = parse_model(LinkRequest, json_body(api.current_request))
    submitted = claims.claim(get_ports(), tenant_id, batch_id, body.upload_token)
    return Response(body=status_body(submitted.batch), status_code=202)


@api.route("/v1/batches/preflight", methods=["POST"], content_types=ACCEPTED)
def preflight() -> dict[str, Any]:
    """Read a file as create would: mapping, counts, cost estimate, warnings; stores nothing."""
    tenant_id = api.tenant()
    data, _, options = _submission()
    return take_in(get_ports(), tenant_id, data, options).to_json()


def _too_large(limit: int) -> str:
    return (f"The file is over {limit // (1024 * 1024)} MB, the API's limit: split it, or upload "
            "it to the drop folder.")


@api.route("/v1/batches", methods=["GET"])
def list_batches() -> dict[str, Any]:
    """The tenant's batches, newest first, a page at a time."""
    tenant_id = api.tenant()
    params = dict(api.current_request.query_params or {})
    limit = _int_param(params.get("limit"), "limit", 20, 1, 100)
    statuses: tuple[BatchStatus, ...] = ()
    if params.get("status"):
        known = {s.value for s in BatchStatus}
        wanted = params["status"].split(",")
        if not set(wanted) <= known:
            raise InvalidRequest(f"status must be among {', '.join(sorted(known))}.", field="status")
        statuses = tuple(BatchStatus(s) for s in wanted)
    page, cursor = get_ports().batches.page(tenant_id, limit, params.get("cursor"), statuses,
                                            params.get("query") or None)
    return {"batches": [status_body(b) for b in page], "next_cursor": cursor, "limit": limit}


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}.", field=name)
    return int(raw)


@api.route("/v1/batches/{batch_id}", methods=["GET"])
def get_batch(batch_id: str) -> dict[str, Any]:
    """A batch's status, from its counters (``Authorization: Batch <upload_token>`` if unclaimed)."""
    authorization = api.current_request.headers.get("authorization") or ""
    if authorization.lower().startswith("batch "):
        return status_body(claims.unclaimed_status(get_ports(), batch_id, authorization))
    return status_body(service.get_batch(get_ports(), api.tenant(), batch_id))


@api.route("/v1/batches/{batch_id}", methods=["PATCH"], content_types=ACCEPTED)
def patch_batch(batch_id: str) -> dict[str, Any]:
    """Change a batch's name, metadata or max_credits (then resume a batch paused at its cap)."""
    tenant_id = api.tenant()
    patch = parse_model(BatchPatch, json_body(api.current_request))
    return status_body(service.patch_batch(get_ports(), tenant_id, batch_id, patch))


@api.route("/v1/batches/{batch_id}/rows", methods=["GET"])
def rows(batch_id: str) -> dict[str, Any]:
    """Per-row results in input order: ``status``, ``limit`` (≤ 1000), ``offset``."""
    ports = get_ports()
    batch = service.get_batch(ports, api.tenant(), batch_id)
    params = dict(api.current_request.query_params or {})
    status = params.get("status")
    if status is not None and status not in {s.value for s in RowStatus}:
        raise InvalidRequest(f"status must be one of {', '.join(s.value for s in RowStatus)}.",
                             field="status")
    limit = _int_param(params.get("limit"), "limit", 100, 1, 1000)
    offset = _int_param(params.get("offset"), "offset", 0, 0, 10_000_000)
    return rows_page(ports, batch, RowStatus(status) if status else None, limit, offset)


@api.route("/v1/batches/{batch_id}/preview", methods=["GET"])
def batch_preview(batch_id: str) -> dict[str, Any]:
    """Counts only (rows, matches, emails, phones … found): no personal data."""
    return preview(service.get_batch(get_ports(), api.tenant(), batch_id))


@api.route("/v1/batches/{batch_id}/results.csv", methods=["GET"])
def results(batch_id: str) -> Response:
    """302 to the results file (``?format=jsonl`` for rows.jsonl)."""
    tenant_id = api.tenant()
    params = dict(api.current_request.query_params or {})
    fmt = params.get("format", "csv")
    if fmt not in ("csv", "jsonl"):
        raise InvalidRequest("format must be csv or jsonl.", field="format")
    return _redirect_to(tenant_id, batch_id, "results.csv" if fmt == "csv" else "rows.jsonl")


@api.route("/v1/batches/{batch_id}/credits.csv", methods=["GET"])
def credits_file(batch_id: str) -> Response:
    """302 to credits.csv: one line per charged row."""
    return _redirect_to(api.tenant(), batch_id, "credits.csv")


@api.route("/v1/batches/{batch_id}/errors.csv", methods=["GET"])
def errors_file(batch_id: str) -> Response:
    """302 to errors.csv: failed and skipped rows with their reason codes."""
    return _redirect_to(api.tenant(), batch_id, "errors.csv")


@api.route("/v1/batches/{batch_id}/summary.json", methods=["GET"])
def summary_file(batch_id: str) -> Response:
    """302 to summary.json: the totals of the results files."""
    return _redirect_to(api.tenant(), batch_id, "summary.json")


def _redirect_to(tenant_id: str, batch_id: str, name: str) -> Response:
    ports = get_ports()
    batch = service.get_batch(ports, tenant_id, batch_id)
    if not batch.has_results:
        raise Conflict(f"The results are not ready: the batch is {batch.status.value}.",
                       status=batch.status.value)
    ttl, filename = ports.settings.results_url_ttl_seconds, f"{batch.batch_id}-{name}"
    url = ports.blobs.download_url(results_key(batch, name), ttl, filename)
    if wants_link(api.current_request):  # a browser page cannot read a cross-origin 302
        return Response(body={"url": url, "filename": filename, "expires_in": ttl}, status_code=200)
    return Response(body="", status_code=302, headers={"Location": url})


@api.route("/v1/batches/{batch_id}/resume", methods=["POST"], content_types=ACCEPTED)
def resume(batch_id: str) -> Response:
    """Resume a paused batch after a top-up; 402 if credits still cannot cover a row."""
    return _accepted(service.resume_batch(get_ports(), api.tenant(), batch_id))


@api.route("/v1/batches/{batch_id}/reprocess", methods=["POST"], content_types=ACCEPTED)
def reprocess(batch_id: str) -> Response:
    """Enrich again a completed batch's failed rows (or not-found ones, or all with refresh)."""
    tenant_id = api.tenant()
    raw = api.current_request.raw_body
    body = parse_model(ReprocessRequest, json_body(api.current_request) if raw else {})
    batch, rows = reprocess_batch(get_ports(), tenant_id, batch_id, body.failed_only,
                                  body.incomplete_only, body.refresh)
    return Response(body=status_body(batch) | {"reprocessing_rows": rows}, status_code=202)


@api.route("/v1/batches/{batch_id}/cancel", methods=["POST"], content_types=ACCEPTED)
def cancel(batch_id: str) -> Response:
    """Stop a batch; rows not yet settled are never charged."""
    return _accepted(service.cancel_batch(get_ports(), api.tenant(), batch_id))
