"""Routes of /v1/credits: a tenant's balance and its ledger."""

from __future__ import annotations

from typing import Any

from chalicelib.handlers.http import ApiRoutes, parse_model
from chalicelib.services import credits as service
from chalicelib.services.ports import get_ports

credits_api = ApiRoutes(__name__)


@credits_api.route("/v1/credits", methods=["GET"])
def balance() -> dict[str, Any]:
    """Balance, billing kind, spent this month and ever, topped up ever."""
    return service.credit_summary(get_ports(), credits_api.tenant())


@credits_api.route("/v1/credits/ledger", methods=["GET"])
def ledger() -> dict[str, Any]:
    """Ledger entries, newest first: ``limit``, ``cursor``, ``kind``, ``batch_id``."""
    tenant_id = credits_api.tenant()
    params = dict(credits_api.current_request.query_params or {})
    query = parse_model(service.LedgerQuery, params)
    return service.ledger_page(get_ports(), tenant_id, query)
