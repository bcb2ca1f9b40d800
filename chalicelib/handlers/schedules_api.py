"""Routes of /v1/schedules: batches started by the tick at each due time of a cron or a rate."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.schedules import ScheduleCreate, SchedulePatch
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery, json_body, parse_model
from chalicelib.services.ports import get_ports

schedules = ApiRoutes(__name__)
ACCEPTED = ["*/*"]  # every type reaches the view: a wrong one gets the one error shape


def _tenant() -> str:
    """The caller's tenant; these routes take no query parameter."""
    tenant_id = schedules.tenant()
    schedules.no_query()
    return tenant_id


@schedules.route("/v1/schedules", methods=["POST"], content_types=ACCEPTED, query=NoQuery,
                 body=ScheduleCreate, responses={201: Answer("Created.", "ScheduleBody")})
def create() -> Response:
    """``{name, cron + timezone | rate_minutes, source_key, options, paused}`` → the schedule."""
    from chalicelib.services import schedule_admin as service

    tenant_id = _tenant()
    request = parse_model(ScheduleCreate, json_body(schedules.current_request))
    return Response(body=service.create_schedule(get_ports(), tenant_id, request).to_json(), status_code=201)


@schedules.route("/v1/schedules", methods=["GET"], query=NoQuery,
                 responses={200: Answer("The schedules.", "ScheduleList")})
def list_all() -> dict[str, Any]:
    """The tenant's schedules with their next run and last runs."""
    return {"schedules": [s.to_json() for s in get_ports().schedules.of_tenant(_tenant())]}


@schedules.route("/v1/schedules/{schedule_id}", methods=["GET"], query=NoQuery,
                 responses={200: Answer("The schedule.", "ScheduleBody")})
def get_one(schedule_id: str) -> dict[str, Any]:
    """One schedule, its next run and its last runs with their batch ids."""
    from chalicelib.services import schedule_admin as service

    return service.get_schedule(get_ports(), _tenant(), schedule_id).to_json()


@schedules.route("/v1/schedules/{schedule_id}", methods=["PATCH"], content_types=ACCEPTED,
                 query=NoQuery, body=SchedulePatch,
                 responses={200: Answer("The changed schedule.", "ScheduleBody")})
def patch(schedule_id: str) -> dict[str, Any]:
    """Change any of the create fields (``paused`` too); the next run is computed anew."""
    from chalicelib.services import schedule_admin as service

    tenant_id = _tenant()
    body = parse_model(SchedulePatch, json_body(schedules.current_request))
    return service.patch_schedule(get_ports(), tenant_id, schedule_id, body).to_json()


@schedules.route("/v1/schedules/{schedule_id}", methods=["DELETE"], query=NoQuery,
                 responses={204: Answer("Removed; the batches it started stay.")})
def delete(schedule_id: str) -> Response:
    """Remove a schedule (the batches it started stay)."""
    from chalicelib.services import schedule_admin as service

    service.delete_schedule(get_ports(), _tenant(), schedule_id)
    return Response(body="", status_code=204)
