"""Routes of /v1/credits: a tenant's balance and its ledger."""

from __future__ import annotations

from typing import Any

from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoQuery
from chalicelib.handlers.queries import LEDGER_PAGE, LedgerQuery, page_limit
from chalicelib.services.ports import get_ports

credits_api = ApiRoutes(__name__)


@credits_api.route("/v1/credits", methods=["GET"], query=NoQuery,
                   responses={200: Answer("Balance and spend.", "CreditsBody")})
def balance() -> dict[str, Any]:
    """Balance, billing kind, spent this month and ever, topped up ever."""
    from chalicelib.services import credits as service

    tenant_id = credits_api.tenant()
    credits_api.no_query()
    return service.credit_summary(get_ports(), tenant_id)


@credits_api.route("/v1/credits/ledger", methods=["GET"], query=LedgerQuery,
                   responses={200: Answer("A page of the ledger.", "LedgerPage")})
def ledger() -> dict[str, Any]:
    """Ledger entries, newest first: ``limit`` (clamped to 200), ``cursor``, ``kind``, ``batch_id``."""
    from chalicelib.services import credits as service

    tenant_id = credits_api.tenant()
    query = credits_api.query(LedgerQuery)
    limit, paging = page_limit(query.limit, LEDGER_PAGE)
    return service.ledger_page(get_ports(), tenant_id, limit, query.cursor, query.kind,
                               query.batch_id) | paging
