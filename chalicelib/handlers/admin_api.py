"""Admin routes: tenants, top-ups and API keys, guarded by the admin key."""

from __future__ import annotations

from typing import Any

from chalice.app import Response
from pydantic import ConfigDict, Field

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import MAX_CREDITS, MAX_NAME_CHARS
from chalicelib.domain.models import BillingKind
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoFields, NoQuery, json_body, parse_model
from chalicelib.services.ports import get_ports
from chalicelib.sources.spec import TenantConfig

admin = ApiRoutes(__name__)


class NewTenantRequest(LazyModel):
    """Body of ``POST /v1/admin/tenants``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    credits: int = Field(default=0, ge=0, le=MAX_CREDITS)
    billing: BillingKind = BillingKind.PREPAID


class TopUpRequest(LazyModel):
    """Body of ``POST /v1/admin/tenants/{tenant_id}/credits``."""

    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=MAX_CREDITS)


def _admin() -> None:
    """Only the admin key passes; admin routes take no query parameter."""
    from chalicelib.services import tenants as service

    service.authenticate_admin(get_ports(), admin.current_request.headers.get("authorization"))
    admin.no_query()


@admin.route("/v1/admin/tenants", methods=["POST"], content_types=["*/*"], auth="admin",
             query=NoQuery, body=NewTenantRequest,
             responses={201: Answer("Created.", "TenantCreated")})
def create_tenant() -> Response:
    """Create a tenant; the API key in the answer is shown this once."""
    from chalicelib.services import tenants as service

    _admin()
    body = parse_model(NewTenantRequest, json_body(admin.current_request))
    created = service.create_tenant(get_ports(), body.name, body.credits, body.billing)
    return Response(
        body={"tenant_id": created.tenant_id, "api_key": created.api_key,
              "balance": created.balance, "billing": body.billing.value},
        status_code=201,
    )


@admin.route("/v1/admin/tenants/{tenant_id}/config", methods=["PUT"], content_types=["*/*"],
             auth="admin", query=NoQuery, body=TenantConfig,
             responses={200: Answer("Stored.", "TenantConfigBody")})
def configure(tenant_id: str) -> dict[str, Any]:
    """Set a tenant's advanced waterfall (datasets, vendor APIs) and price overrides."""
    from chalicelib.services.sources import configure as configure_sources

    _admin()
    body = parse_model(TenantConfig, json_body(admin.current_request))
    return {"tenant_id": tenant_id, **configure_sources(get_ports(), tenant_id, body)}


@admin.route("/v1/admin/tenants/{tenant_id}/credits", methods=["POST"], content_types=["*/*"],
             auth="admin", query=NoQuery, body=TopUpRequest,
             responses={200: Answer("Topped up.", "TopUpBody")})
def top_up(tenant_id: str) -> dict[str, Any]:
    """Add credits to a tenant; batches paused for credits resume by themselves (unless opted out)."""
    from chalicelib.services.lifecycle import top_up_and_resume

    _admin()
    body = parse_model(TopUpRequest, json_body(admin.current_request))
    balance, resumed = top_up_and_resume(get_ports(), tenant_id, body.amount)
    return {"tenant_id": tenant_id, "balance": balance, "resumed_batches": resumed}


@admin.route("/v1/admin/tenants/{tenant_id}/api-keys", methods=["POST"], content_types=["*/*"],
             auth="admin", query=NoQuery, body=NoFields, body_required=False,
             responses={201: Answer("Created.", "ApiKeyCreated")})
def create_api_key(tenant_id: str) -> Response:
    """Give a tenant another API key; the key in the answer is shown this once."""
    from chalicelib.services import tenants as service

    _admin()
    admin.no_body()
    created = service.create_api_key(get_ports(), tenant_id)
    return Response(
        body={"tenant_id": tenant_id, "key_id": created.key_id, "api_key": created.api_key,
              "created_at": created.created_at},
        status_code=201,
    )


@admin.route("/v1/admin/tenants/{tenant_id}/api-keys", methods=["GET"], auth="admin",
             query=NoQuery, responses={200: Answer("The keys.", "ApiKeyList")})
def list_api_keys(tenant_id: str) -> dict[str, Any]:
    """A tenant's keys: ``key_id``, ``created_at``, ``revoked_at`` (never the key)."""
    from chalicelib.services import tenants as service

    _admin()
    return {"tenant_id": tenant_id, "api_keys": service.list_api_keys(get_ports(), tenant_id)}


@admin.route("/v1/admin/tenants/{tenant_id}/api-keys/{key_id}", methods=["DELETE"], auth="admin",
             query=NoQuery, responses={204: Answer("Revoked.")})
def revoke_api_key(tenant_id: str, key_id: str) -> Response:
    """Revoke one key: 401 for it from now on; the tenant's other keys keep working."""
    from chalicelib.services import tenants as service

    _admin()
    service.revoke_api_key(get_ports(), tenant_id, key_id)
    return Response(body="", status_code=204)
