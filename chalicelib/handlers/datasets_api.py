"""Routes of /v1/datasets: a tenant's reference data for the advanced waterfall."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.errors import BadInput, PayloadTooLarge, UnsupportedMediaType
from chalicelib.handlers.http import ApiRoutes, content_type, multipart_form
from chalicelib.services import sources as service
from chalicelib.services.ports import get_ports
from chalicelib.services.tenants import tenant_request

datasets = ApiRoutes(__name__)


def _tenant() -> str:
    return tenant_request(get_ports(), datasets.current_request.headers.get("authorization"))


@datasets.route("/v1/datasets", methods=["POST"], content_types=["*/*"])
def create_dataset() -> Response:
    """Upload a CSV of your own records (multipart ``file``, optional ``name``)."""
    tenant_id = _tenant()
    request = datasets.current_request
    if content_type(request) != "multipart/form-data":
        raise UnsupportedMediaType("Send multipart/form-data with a 'file' field.")
    fields, files = multipart_form(request)
    if "file" not in files:
        raise BadInput("Attach the CSV as the multipart field 'file'.", field="file")
    filename, data = files["file"]
    limit = get_ports().settings.max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLarge(f"A dataset is at most {limit // 2**20} MB.")
    name = fields.get("name") or filename.rsplit(".", 1)[0] or "dataset"
    created = service.create_dataset(get_ports(), tenant_id, data, name)
    return Response(body=created.to_json(), status_code=201)


@datasets.route("/v1/datasets", methods=["GET"])
def list_datasets() -> dict[str, Any]:
    """The tenant's datasets."""
    return {"datasets": service.list_datasets(get_ports(), _tenant())}
