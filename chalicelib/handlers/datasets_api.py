"""Routes of /v1/datasets: a tenant's reference data for the advanced waterfall."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.errors import PayloadTooLarge, UnsupportedMediaType
from chalicelib.handlers.http import ApiRoutes, content_type, form_with_file
from chalicelib.services import sources as service
from chalicelib.services.ports import get_ports

datasets = ApiRoutes(__name__)


@datasets.route("/v1/datasets", methods=["POST"], content_types=["*/*"])
def create_dataset() -> Response:
    """Upload a CSV of your own records (multipart ``file``, optional ``name``)."""
    tenant_id = datasets.tenant()
    request = datasets.current_request
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("Send multipart/form-data with a 'file' field.")
    fields, filename, data = form_with_file(request)
    limit = get_ports().settings.max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLarge(f"A dataset is at most {limit // 2**20} MB.")
    name = fields.get("name") or filename.rsplit(".", 1)[0] or "dataset"
    created = service.create_dataset(get_ports(), tenant_id, data, name)
    return Response(body=created.to_json(), status_code=201)


@datasets.route("/v1/datasets", methods=["GET"])
def list_datasets() -> dict[str, Any]:
    """The tenant's datasets."""
    return {"datasets": service.list_datasets(get_ports(), datasets.tenant())}
