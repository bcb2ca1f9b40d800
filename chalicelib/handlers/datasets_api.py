"""Routes of /v1/datasets: a tenant's reference data for the advanced waterfall."""

from __future__ import annotations

from typing import Any

from chalice.app import Response
from pydantic import ConfigDict, Field

from chalicelib.domain.errors import PayloadTooLarge, UnsupportedMediaType
from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import MAX_NAME_CHARS, MAX_OPTIONS_BYTES
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery, content_type, form_with_file, parse_model
from chalicelib.services.ports import get_ports

datasets = ApiRoutes(__name__)


def _tenant() -> str:
    """The caller's tenant; dataset routes take no query parameter."""
    tenant_id = datasets.tenant()
    datasets.no_query()
    return tenant_id


class DatasetFields(LazyModel):
    """The text fields of ``POST /v1/datasets`` beside its ``file``."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)


@datasets.route("/v1/datasets", methods=["POST"], content_types=["*/*"], query=NoQuery,
                form=DatasetFields, responses={201: Answer("Stored.", "DatasetBody")})
def create_dataset() -> Response:
    """Upload a CSV of your own records (multipart ``file``, optional ``name``)."""
    from chalicelib.services import datasets as service

    tenant_id = _tenant()
    request = datasets.current_request
    limit = get_ports().settings.max_upload_bytes
    if len(request.raw_body or b"") > limit + MAX_OPTIONS_BYTES:
        raise PayloadTooLarge(f"A dataset is at most {limit // 2**20} MB.", max_bytes=limit)
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("Send multipart/form-data with a 'file' field.")
    fields, filename, data = form_with_file(request)
    if len(data) > limit:
        raise PayloadTooLarge(f"A dataset is at most {limit // 2**20} MB.", max_bytes=limit)
    given = parse_model(DatasetFields, fields)
    name = given.name or filename.rsplit(".", 1)[0][:MAX_NAME_CHARS] or "dataset"
    created = service.create_dataset(get_ports(), tenant_id, data, name)
    return Response(body=created.to_json(), status_code=201)


@datasets.route("/v1/datasets", methods=["GET"], query=NoQuery,
                responses={200: Answer("The datasets.", "DatasetList")})
def list_datasets() -> dict[str, Any]:
    """The tenant's datasets."""
    from chalicelib.services import datasets as service

    return {"datasets": service.list_datasets(get_ports(), _tenant())}
