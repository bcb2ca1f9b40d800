"""What happened and what is happening: a batch's timeline (its tenant), the service's stats (admin)."""

from __future__ import annotations

from typing import Any

from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery
from chalicelib.services.ports import get_ports

insight = ApiRoutes(__name__)


@insight.route("/v1/batches/{batch_id}/timeline", methods=["GET"], query=NoQuery,
               responses={200: Answer("The steps, in order.", "TimelineBody")})
def timeline(batch_id: str) -> dict[str, Any]:
    """The batch's steps in order with the credits of each; they add up to ``credits_spent``."""
    from chalicelib.services.timeline import batch_timeline

    tenant_id = insight.tenant()
    insight.no_query()
    return batch_timeline(get_ports(), tenant_id, batch_id)


@insight.route("/v1/admin/stats", methods=["GET"], auth="admin", query=NoQuery,
               responses={200: Answer("The service now.", "StatsBody")})
def stats() -> dict[str, Any]:
    """Open batches by status, rows per second over the last minute, queue and DLQ depths."""
    from chalicelib.services.stats import service_stats
    from chalicelib.services.tenants import authenticate_admin

    authenticate_admin(get_ports(), insight.current_request.headers.get("authorization"))
    insight.no_query()
    return service_stats(get_ports())
