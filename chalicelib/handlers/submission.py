"""The body of a create or a preflight: a multipart file, JSON ``records``, or ``ids`` of a dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalice.app import Request

from chalicelib.domain.errors import (
    InvalidRequest,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from chalicelib.domain.limits import MAX_OPTIONS_BYTES
from chalicelib.domain.options import BatchOptions, JsonBatchRequest
from chalicelib.handlers.http import content_type, decode_json_fields, form_with_file, json_body, parse_model

if TYPE_CHECKING:
    from chalicelib.services.ports import Ports

JSON_FIELDS = ("metadata", "column_map", "max_credits", "row_limit", "max_failed_percent")


@dataclass(frozen=True)
class Submission:
    """What a create or a preflight hands in: the file as CSV bytes, its name, the options."""

    data: bytes
    filename: str
    options: BatchOptions


def read_submission(ports: Ports, request: Request, tenant_id: str | None) -> Submission:
    """The request's file (or records, or a dataset's records by id) and options; 4xx otherwise.

    ``tenant_id`` is None for an anonymous upload (which cannot name a tenant's dataset).
    """
    limit = ports.settings.max_upload_bytes
    if len(request.raw_body or b"") > limit + MAX_OPTIONS_BYTES:
        raise PayloadTooLarge(too_large(limit), max_bytes=limit)
    kind = content_type(request)
    if kind == "multipart/form-data":
        fields, filename, data = form_with_file(request)
        submission = Submission(data, filename or "upload.csv",
                                parse_model(BatchOptions, decode_json_fields(fields, JSON_FIELDS)))
    elif kind == "application/json":
        body = parse_model(JsonBatchRequest, json_body(request, limit + MAX_OPTIONS_BYTES))
        submission = _json_submission(ports, body, tenant_id)
    else:
        raise UnsupportedMediaType(
            "Send multipart/form-data with a 'file' field, or application/json with 'records' "
            "(or 'ids' and 'dataset_id').")
    if len(submission.data) > limit:
        raise PayloadTooLarge(too_large(limit), max_bytes=limit)
    return submission


def _json_submission(ports: Ports, body: JsonBatchRequest, tenant_id: str | None) -> Submission:
    from chalicelib.domain.upload import records_to_csv  # with the CSV reading, on first use
    from chalicelib.services.datasets import dataset_records

    options = BatchOptions.model_validate(body.model_dump(exclude={"records", "ids", "dataset_id"}))
    if body.records is not None and body.ids is not None:
        raise InvalidRequest("Send records or ids (with dataset_id), not both.", field="ids")
    if body.ids is None:
        if body.records is None:
            raise InvalidRequest("Send records (a list of objects), or ids with dataset_id.",
                                 field="records")
        if body.dataset_id is not None:
            raise InvalidRequest("dataset_id goes with ids: name the records to enrich.", field="ids")
        return Submission(records_to_csv(body.records), "records.json", options)
    if body.dataset_id is None:
        raise InvalidRequest("ids name records of one of your datasets: send its dataset_id too.",
                             field="dataset_id")
    if tenant_id is None:
        raise Unauthorized("ids name records of your datasets: send your API key.")
    name, records = dataset_records(ports, tenant_id, body.dataset_id, [str(i) for i in body.ids])
    if options.name is None:
        options = options.model_copy(update={"name": name})
    return Submission(records_to_csv(records), f"{body.dataset_id}.csv", options)


def too_large(limit: int) -> str:
    """What a user can do with a file over the API's limit."""
    mb = limit // (1024 * 1024)
    return (f"The file is over {mb} MB, the API's limit for one request: send it as a presigned "
            "upload (POST /v1/uploads) or through the drop folder (GET /v1/drop-folder says where), "
            f"or split it into files under {mb} MB and submit each as a batch.")
