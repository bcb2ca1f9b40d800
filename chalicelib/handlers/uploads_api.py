"""``POST /v1/uploads``: a presigned S3 POST for a big file, and the batch it will become;
``GET /v1/drop-folder``: where the caller's files go in the bucket without the API."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.status import status_body
from chalicelib.domain.upload_requests import UploadCreate
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery, json_body, parse_model
from chalicelib.services.ports import get_ports

uploads = ApiRoutes(__name__)


@uploads.route("/v1/uploads", methods=["POST"], content_types=["*/*"], query=NoQuery,
               body=UploadCreate,
               responses={201: Answer("The batch, awaiting its file, and the form to upload it.",
                                      "UploadBody")})
def create() -> Response:
    """``{filename, size, …batch options}`` → the batch (``awaiting_upload``) and ``upload``:
    the form to POST the file with (``url``, ``fields``; the file goes last, as ``file``)."""
    from chalicelib.services.uploads import create_upload

    tenant_id = uploads.tenant()
    uploads.no_query()
    request = parse_model(UploadCreate, json_body(uploads.current_request))
    batch, form = create_upload(get_ports(), tenant_id, request)
    return Response(body={**status_body(batch), "upload": form}, status_code=201)


@uploads.route("/v1/drop-folder", methods=["GET"], query=NoQuery,
               responses={200: Answer("The caller's folders in the bucket and a dropped file's limits.",
                                      "DropFolderBody")})
def drop_folder() -> dict[str, Any]:
    """The caller's drop folder (``inbox``), where the answers appear (``outbox``), its schedules'
    files (``sources``), and the limits of a dropped file."""
    from chalicelib.services.folders import tenant_folders

    tenant_id = uploads.tenant()
    uploads.no_query()
    return tenant_folders(get_ports(), tenant_id)
