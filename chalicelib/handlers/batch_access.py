"""Reading a batch a caller may see: its tenant's key, or (an unclaimed anonymous upload) its
``Authorization: Batch <upload_token>``; the query string is checked once the caller is known."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.handlers.http import ApiRoutes, Model
from chalicelib.services.ports import get_ports

if TYPE_CHECKING:
    from chalicelib.domain.models import Batch


def readable_batch(routes: ApiRoutes, batch_id: str, query: type[Model]) -> tuple[Batch, Model]:
    """The batch (404 when the caller may not see it) and the request's query as ``query``."""
    from chalicelib.services import batches as service
    from chalicelib.services import claims

    ports = get_ports()
    authorization = routes.current_request.headers.get("authorization") or ""
    if authorization.lower().startswith("batch "):
        batch = claims.unclaimed_status(ports, batch_id, authorization)
        return batch, routes.query(query)
    tenant_id = routes.tenant()
    parsed = routes.query(query)
    return service.get_batch(ports, tenant_id, batch_id), parsed

