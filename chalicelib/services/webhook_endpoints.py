"""A tenant's webhook endpoints and default secret: create, change, rotate, and check a batch's target."""

from __future__ import annotations

import secrets
from dataclasses import replace

from chalicelib.domain.errors import Conflict, InvalidRequest, NotFound
from chalicelib.domain.signing import new_secret
from chalicelib.domain.webhook_requests import WebhookCreate, WebhookPatch
from chalicelib.domain.webhooks import BATCH_EVENTS, Endpoint, TenantSecret
from chalicelib.netguard import RefusedDestination, check_url
from chalicelib.services.ports import Ports


def check_destination(ports: Ports, url: str, field: str) -> None:
    """A 422 for a URL a delivery must never go to (the check is made again on every connection)."""
    try:
        check_url(url, ports.settings.outbound_policy())
    except RefusedDestination as refused:
        raise InvalidRequest(f"{field}: {refused} — webhooks go to public addresses only.",
                             field=field) from refused


def create_endpoint(ports: Ports, tenant_id: str, request: WebhookCreate) -> Endpoint:
    """Store a new endpoint with a fresh secret (the answer is the only time it is shown)."""
    check_destination(ports, request.url, "url")
    if len(ports.webhooks.endpoints(tenant_id)) >= ports.settings.webhook_max_endpoints:
        raise Conflict(f"A tenant has at most {ports.settings.webhook_max_endpoints} endpoints; "
                       "delete one first.")
    now = ports.clock.now()
    endpoint = Endpoint(
        tenant_id=tenant_id, webhook_id=f"we_{int(ports.clock.epoch() * 1000):012x}{secrets.token_hex(5)}",
        url=request.url, events=tuple(request.events), secret=new_secret(), created_at=now,
        updated_at=now, description=request.description)
    ports.webhooks.put_new(endpoint)
    return endpoint


def get_endpoint(ports: Ports, tenant_id: str, webhook_id: str) -> Endpoint:
    """One of the tenant's endpoints, or 404."""
    endpoint = ports.webhooks.get(tenant_id, webhook_id)
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {webhook_id!r}.")
    return endpoint


def patch_endpoint(ports: Ports, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Endpoint:
    """Change an endpoint's URL, events or description."""
    endpoint = get_endpoint(ports, tenant_id, webhook_id)
    if patch.url is not None:
        check_destination(ports, patch.url, "url")
    changed = replace(
        endpoint, url=patch.url or endpoint.url, updated_at=ports.clock.now(),
        events=tuple(patch.events) if patch.events is not None else endpoint.events,
        description=patch.description if patch.description is not None else endpoint.description)
    return _store(ports, endpoint, changed)


def rotate_endpoint_secret(ports: Ports, tenant_id: str, webhook_id: str) -> Endpoint:
    """A new secret for an endpoint; the old one keeps signing beside it for the grace period."""
    endpoint = get_endpoint(ports, tenant_id, webhook_id)
    until = int(ports.clock.epoch()) + ports.settings.webhook_secret_grace_seconds
    rotated = replace(endpoint, secret=new_secret(), previous_secret=endpoint.secret,
                      previous_until=until, updated_at=ports.clock.now())
    return _store(ports, endpoint, rotated)


def _store(ports: Ports, before: Endpoint, after: Endpoint) -> Endpoint:
    if not ports.webhooks.replace(after, before.updated_at):
        raise Conflict("The endpoint changed meanwhile; read it again and retry.")
    return after


def delete_endpoint(ports: Ports, tenant_id: str, webhook_id: str) -> None:
    """Forget an endpoint: deliveries still due to it fail with that reason."""
    if not ports.webhooks.delete(tenant_id, webhook_id):
        raise NotFound(f"No webhook endpoint {webhook_id!r}.")


def rotate_tenant_secret(ports: Ports, tenant_id: str) -> TenantSecret:
    """Make (or rotate) the tenant's default secret, which signs deliveries to batches' webhook_url."""
    held = ports.webhooks.tenant_secret(tenant_id)
    fresh = TenantSecret(tenant_id, new_secret(), ports.clock.now())
    if held is not None:
        until = int(ports.clock.epoch()) + ports.settings.webhook_secret_grace_seconds
        fresh = replace(fresh, previous_secret=held.secret, previous_until=until)
    if not ports.webhooks.put_tenant_secret(fresh, held.created_at if held else None):
        raise Conflict("The default secret was rotated meanwhile; read it again and retry.")
    return fresh


def check_batch_target(ports: Ports, tenant_id: str, webhook_id: str | None,
                       webhook_url: str | None) -> None:
    """A batch's webhook must exist, hear batch events and go somewhere allowed (422 if not)."""
    if webhook_id is not None:
        endpoint = ports.webhooks.get(tenant_id, webhook_id)
        if endpoint is None:
            raise InvalidRequest(f"webhook_id: no webhook endpoint {webhook_id!r}.", field="webhook_id")
        if not BATCH_EVENTS & set(endpoint.events):
            raise InvalidRequest(
                f"webhook_id: the endpoint {webhook_id!r} is not subscribed to any batch event "
                f"({', '.join(sorted(BATCH_EVENTS))}); add one with PATCH /v1/webhooks/{webhook_id}.",
                field="webhook_id")
    if webhook_url is not None:
        check_destination(ports, webhook_url, "webhook_url")
        if ports.webhooks.tenant_secret(tenant_id) is None:
            raise InvalidRequest(
                "webhook_url: deliveries to it are signed with your default secret, and there is "
                "none yet: make it once with POST /v1/webhooks/secret (the answer shows it).",
                field="webhook_url")
