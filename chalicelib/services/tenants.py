"""Tenants, API keys and credit top-ups."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidRequest, NotFound, RateLimited, Unauthorized
from chalicelib.domain.models import BillingKind, Tenant
from chalicelib.observability import bind
from chalicelib.services.ports import Ports

KEY_PREFIX = "be_live_"


def hash_key(api_key: str) -> str:
    """The stored form of an API key (keys themselves are shown once, never stored)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class NewTenant:
    """A created tenant and its first API key (the only time the key is shown)."""

    tenant_id: str
    api_key: str
    balance: int


def create_tenant(ports: Ports, name: str, credits: int,
                  billing: BillingKind = BillingKind.PREPAID) -> NewTenant:
    """Create a tenant with a starting balance and an API key."""
    if not name.strip():
        raise InvalidRequest("name must not be empty.", field="name")
    if credits < 0:
        raise InvalidRequest("credits must be zero or more.", field="credits")
    tenant_id = f"t_{secrets.token_hex(8)}"
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    tenant = Tenant(tenant_id, name.strip(), credits, billing, ports.clock.now())
    ports.accounts.create_tenant(tenant, hash_key(api_key))
    bind(tenant_id=tenant_id)
    return NewTenant(tenant_id, api_key, credits)


def top_up(ports: Ports, tenant_id: str, amount: int) -> int:
    """Add credits to a tenant's balance; returns the new balance."""
    if amount <= 0:
        raise InvalidRequest("amount must be a positive whole number of credits.", field="amount")
    return ports.accounts.add_credits(tenant_id, amount, ports.clock.now())


def authenticate(ports: Ports, authorization: str | None) -> str:
    """The tenant id behind an ``Authorization: Bearer <api key>`` header."""
    token = _bearer(authorization)
    tenant_id = ports.accounts.tenant_for_key(hash_key(token))
    if tenant_id is None:
        raise Unauthorized("The API key is not valid. Check the Authorization header.")
    return tenant_id


def tenant_request(ports: Ports, authorization: str | None) -> str:
    """Authenticate a tenant's API call and count it against its per-second allowance."""
    tenant_id = authenticate(ports, authorization)
    second = int(ports.clock.epoch())
    # A fixed one-second window per tenant: one conditional write per request, no hot item
    # beyond a second, gone by TTL a minute later.
    if not ports.markers.count_up_to(f"rate#{tenant_id}#{second}",
                                     ports.settings.requests_per_second, second + 60):
        raise RateLimited(
            f"More than {ports.settings.requests_per_second} requests in one second: slow down "
            "and retry after the Retry-After delay.", retry_after=1)
    return tenant_id


def authenticate_admin(ports: Ports, authorization: str | None) -> None:
    """Let the request through only with the admin key."""
    token = _bearer(authorization)
    admin = ports.secrets.admin_api_key()
    if not admin or not hmac.compare_digest(token.encode(), admin.encode()):
        raise Unauthorized("This route needs the admin key.")


def get_tenant(ports: Ports, tenant_id: str) -> Tenant:
    """A tenant, or 404."""
    tenant = ports.accounts.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id!r}.")
    return tenant


@dataclass(frozen=True)
class NewApiKey:
    """Another API key of a tenant: ``api_key`` is shown this once, ``key_id`` names it from now on."""

    key_id: str
    api_key: str
    created_at: str


def create_api_key(ports: Ports, tenant_id: str) -> NewApiKey:
    """Give a tenant another API key (stored hashed)."""
    for _ in range(3):  # key_id is 32 bits of the hash: a clash within one tenant is rare, not impossible
        api_key = KEY_PREFIX + secrets.token_urlsafe(32)
        now = ports.clock.now()
        try:
            return NewApiKey(ports.accounts.add_api_key(tenant_id, hash_key(api_key), now), api_key, now)
        except Conflict:
            continue
    raise Conflict("Could not find a free key_id for the new key; try again.")


def list_api_keys(ports: Ports, tenant_id: str) -> list[dict[str, Any]]:
    """A tenant's keys, oldest first: ``{key_id, created_at, revoked_at}``, never the key or its hash."""
    keys = ports.accounts.api_keys(tenant_id)
    if keys is None:
        raise NotFound(f"No tenant {tenant_id!r}.")
    return keys


def revoke_api_key(ports: Ports, tenant_id: str, key_id: str) -> None:
    """Revoke one key: it gets 401 from now on, the tenant's other keys keep working."""
    ports.accounts.revoke_api_key(tenant_id, key_id, ports.clock.now())


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send your API key as 'Authorization: Bearer <api_key>'.")
    return token.strip()
