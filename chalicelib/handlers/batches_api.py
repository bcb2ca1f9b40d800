"""Routes of /v1/batches that create and control batches: parse, call one service, map the answer."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.models import Batch
from chalicelib.domain.options import (
    BatchOptions,
    BatchPatch,
    JsonBatchRequest,
    LinkRequest,
    ReprocessRequest,
)
from chalicelib.domain.status import status_body
from chalicelib.handlers.batch_access import readable_batch
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoFields, NoQuery, json_body, parse_model
from chalicelib.handlers.queries import BATCHES_PAGE as _PAGE
from chalicelib.handlers.queries import BatchListQuery, StatusQuery, page_limit
from chalicelib.handlers.submission import read_submission
from chalicelib.services.ports import get_ports

api = ApiRoutes(__name__)
# Every type reaches the view, so an unsupported one gets our 415 in the one error shape.
ACCEPTED = ["*/*"]


def _accepted(batch: Batch, status_code: int = 202) -> Response:
    return Response(body=status_body(batch), status_code=status_code)


@api.route("/v1/batches", methods=["POST"], content_types=ACCEPTED, auth="tenant_or_anonymous",
           query=NoQuery, form=BatchOptions, body=JsonBatchRequest,
           responses={202: Answer("Created; it starts at once.", "CreatedBatchBody"),
                      200: Answer("Already created with this Idempotency-Key.", "BatchBody")})
def create_batch() -> Response:
    """Create a batch from a multipart CSV upload, a JSON list of records, or ids of a dataset."""
    from chalicelib.services import batches as service
    from chalicelib.services.idempotency import create_once, request_hash

    ports = get_ports()
    if not api.current_request.headers.get("authorization") and ports.settings.anonymous_uploads:
        return _create_unclaimed()
    tenant_id = api.tenant()
    api.no_query()
    sent = read_submission(ports, api.current_request, tenant_id)
    key = api.current_request.headers.get("idempotency-key")
    if key is None:
        submitted = service.submit(ports, tenant_id, sent.data, sent.filename, sent.options)
        body = status_body(submitted.batch) | {"input": submitted.intake.to_json()}
        return Response(body=body, status_code=202)
    intake: dict[str, Any] = {}

    def create(batch_id: str) -> Batch:
        submitted = service.submit(ports, tenant_id, sent.data, sent.filename, sent.options, batch_id)
        intake.update(submitted.intake.to_json())
        return submitted.batch

    batch, created = create_once(ports, tenant_id, key, request_hash(sent.data, sent.options), create)
    body = status_body(batch) | ({"input": intake} if created else {})
    return Response(body=body, status_code=202 if created else 200)


def _create_unclaimed() -> Response:
    from chalicelib.services import claims

    api.no_query()
    sent = read_submission(get_ports(), api.current_request, None)
    unclaimed = claims.create_unclaimed(get_ports(), sent.data, sent.filename, sent.options)
    body = status_body(unclaimed.batch) | {"upload_token": unclaimed.upload_token,
                                           "input": unclaimed.intake}
    return Response(body=body, status_code=202)


@api.route("/v1/batches/{batch_id}/link", methods=["POST"], content_types=ACCEPTED,
           query=NoQuery, body=LinkRequest,
           responses={202: Answer("Claimed; it starts.", "BatchBody")})
def link(batch_id: str) -> Response:
    """Claim an anonymous upload with a tenant key and its ``upload_token``; it starts then."""
    from chalicelib.services import claims

    tenant_id = api.tenant()
    api.no_query()
    body = parse_model(LinkRequest, json_body(api.current_request))
    submitted = claims.claim(get_ports(), tenant_id, batch_id, body.upload_token)
    return Response(body=status_body(submitted.batch), status_code=202)


@api.route("/v1/batches/preflight", methods=["POST"], content_types=ACCEPTED, query=NoQuery,
           form=BatchOptions, body=JsonBatchRequest,
           responses={200: Answer("What a create would find.", "IntakeBody")})
def preflight() -> dict[str, Any]:
    """Read a file as create would: mapping, counts, cost estimate, warnings; stores nothing."""
    from chalicelib.services.intake import take_in

    tenant_id = api.tenant()
    api.no_query()
    sent = read_submission(get_ports(), api.current_request, tenant_id)
    return take_in(get_ports(), tenant_id, sent.data, sent.options).to_json()


@api.route("/v1/batches", methods=["GET"], query=BatchListQuery,
           responses={200: Answer("A page of batches.", "BatchPage")})
def list_batches() -> dict[str, Any]:
    """The tenant's batches, newest first, a page at a time (by ``cursor`` or by ``offset``)."""
    from chalicelib.services import batches as service

    tenant_id = api.tenant()
    query = api.query(BatchListQuery)
    limit, paging = page_limit(query.limit, _PAGE, "next_cursor (or offset)")
    page, cursor = service.list_batches(get_ports(), tenant_id, limit, query.cursor, query.offset,
                                        query.statuses(), query.query or None)
    return {"batches": [status_body(b) for b in page], "next_cursor": cursor,
            "offset": query.offset, **paging}


@api.route("/v1/batches/{batch_id}", methods=["GET"], auth="tenant_or_upload", query=StatusQuery,
           responses={200: Answer("The batch's status.", "BatchBody")})
def get_batch(batch_id: str) -> dict[str, Any]:
    """A batch's status, from its counters (``Authorization: Batch <upload_token>`` if unclaimed);
    ``include=row_ids`` adds its row ids grouped by row status (bounded)."""
    batch, query = readable_batch(api, batch_id, StatusQuery)
    body = status_body(batch)
    if query.include == "row_ids":
        from chalicelib.services.rows import row_ids

        body["row_ids"] = row_ids(get_ports(), batch)
    return body


@api.route("/v1/batches/{batch_id}", methods=["PATCH"], content_types=ACCEPTED, query=NoQuery,
           body=BatchPatch, responses={200: Answer("The changed batch.", "BatchBody")})
def patch_batch(batch_id: str) -> dict[str, Any]:
    """Change a batch's name, metadata or max_credits (then resume a batch paused at its cap)."""
    from chalicelib.services import batches as service

    tenant_id = api.tenant()
    api.no_query()
    patch = parse_model(BatchPatch, json_body(api.current_request))
    return status_body(service.patch_batch(get_ports(), tenant_id, batch_id, patch))


@api.route("/v1/batches/{batch_id}/resume", methods=["POST"], content_types=ACCEPTED,
           query=NoQuery, body=NoFields, body_required=False,
           responses={202: Answer("Resumed.", "BatchBody")})
def resume(batch_id: str) -> Response:
    """Resume a paused batch after a top-up; 402 if credits still cannot cover a row."""
    from chalicelib.services import batches as service

    tenant_id = api.tenant()
    api.no_query()
    api.no_body()
    return _accepted(service.resume_batch(get_ports(), tenant_id, batch_id))


@api.route("/v1/batches/{batch_id}/reprocess", methods=["POST"], content_types=ACCEPTED,
           query=NoQuery, body=ReprocessRequest, body_required=False,
           responses={202: Answer("Rows enriched again.", "ReprocessBody")})
def reprocess(batch_id: str) -> Response:
    """Enrich again a batch's failed rows (or not-found ones, or all with refresh, or those not
    yet settled with incomplete_only)."""
    from chalicelib.services.reprocess import reprocess_batch

    tenant_id = api.tenant()
    api.no_query()
    raw = (api.current_request.raw_body or b"").strip()
    body = parse_model(ReprocessRequest, json_body(api.current_request) if raw else {})
    batch, rows = reprocess_batch(get_ports(), tenant_id, batch_id, body.failed_only,
                                  body.incomplete_only, body.refresh)
    return Response(body=status_body(batch) | {"reprocessing_rows": rows}, status_code=202)


@api.route("/v1/batches/{batch_id}/cancel", methods=["POST"], content_types=ACCEPTED,
           query=NoQuery, body=NoFields, body_required=False,
           responses={202: Answer("Cancelled.", "BatchBody")})
def cancel(batch_id: str) -> Response:
    """Stop a batch; rows not yet settled are never charged."""
    from chalicelib.services import batches as service

    tenant_id = api.tenant()
    api.no_query()
    api.no_body()
    return _accepted(service.cancel_batch(get_ports(), tenant_id, batch_id))
