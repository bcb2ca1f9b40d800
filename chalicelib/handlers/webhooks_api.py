"""Routes of /v1/webhooks (endpoints, the default secret, deliveries) and a batch's delivery log."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.domain.webhook_requests import WebhookCreate, WebhookPatch
from chalicelib.handlers.declare import Answer
from chalicelib.handlers.http import ApiRoutes, NoFields, NoQuery, json_body, parse_model
from chalicelib.services.ports import get_ports

webhooks = ApiRoutes(__name__)
ACCEPTED = ["*/*"]


def _now() -> float:
    return get_ports().clock.epoch()


def _tenant() -> str:
    """The caller's tenant; these routes take no query parameter."""
    tenant_id = webhooks.tenant()
    webhooks.no_query()
    return tenant_id


def _bodyless() -> str:
    """The caller's tenant; the route takes no query parameter and no body field."""
    tenant_id = _tenant()
    webhooks.no_body()
    return tenant_id


@webhooks.route("/v1/webhooks", methods=["POST"], content_types=ACCEPTED, query=NoQuery,
                body=WebhookCreate,
                responses={201: Answer("Created; its secret is shown this once.", "WebhookEndpointBody")})
def create_endpoint() -> Response:
    """Add an endpoint (``url``, ``events``, ``description``); the answer shows its secret, once."""
    from chalicelib.services import webhook_endpoints as service

    tenant_id = _tenant()
    request = parse_model(WebhookCreate, json_body(webhooks.current_request))
    endpoint = service.create_endpoint(get_ports(), tenant_id, request)
    return Response(body=endpoint.to_json(_now(), reveal=True), status_code=201)


@webhooks.route("/v1/webhooks", methods=["GET"], query=NoQuery,
                responses={200: Answer("The endpoints.", "WebhookList")})
def list_endpoints() -> dict[str, Any]:
    """The tenant's endpoints (secrets as hints only)."""
    found = get_ports().webhooks.endpoints(_tenant())
    return {"webhooks": [endpoint.to_json(_now()) for endpoint in found]}


@webhooks.route("/v1/webhooks/{webhook_id}", methods=["GET"], query=NoQuery,
                responses={200: Answer("The endpoint.", "WebhookEndpointBody")})
def get_endpoint(webhook_id: str) -> dict[str, Any]:
    """One endpoint."""
    from chalicelib.services import webhook_endpoints as service

    return service.get_endpoint(get_ports(), _tenant(), webhook_id).to_json(_now())


@webhooks.route("/v1/webhooks/{webhook_id}", methods=["PATCH"], content_types=ACCEPTED, query=NoQuery,
                body=WebhookPatch, responses={200: Answer("The changed endpoint.", "WebhookEndpointBody")})
def patch_endpoint(webhook_id: str) -> dict[str, Any]:
    """Change an endpoint's ``url``, ``events`` or ``description``."""
    from chalicelib.services import webhook_endpoints as service

    tenant_id = _tenant()
    patch = parse_model(WebhookPatch, json_body(webhooks.current_request))
    return service.patch_endpoint(get_ports(), tenant_id, webhook_id, patch).to_json(_now())


@webhooks.route("/v1/webhooks/{webhook_id}", methods=["DELETE"], query=NoQuery,
                responses={204: Answer("Removed.")})
def delete_endpoint(webhook_id: str) -> Response:
    """Remove an endpoint."""
    from chalicelib.services import webhook_endpoints as service

    service.delete_endpoint(get_ports(), _tenant(), webhook_id)
    return Response(body="", status_code=204)


@webhooks.route("/v1/webhooks/{webhook_id}/rotate-secret", methods=["POST"], content_types=ACCEPTED,
                query=NoQuery, body=NoFields, body_required=False,
                responses={200: Answer("The new secret, shown this once.", "WebhookEndpointBody")})
def rotate_endpoint_secret(webhook_id: str) -> dict[str, Any]:
    """A new secret (shown once); the old one also signs for the grace period."""
    from chalicelib.services import webhook_endpoints as service

    rotated = service.rotate_endpoint_secret(get_ports(), _bodyless(), webhook_id)
    return rotated.to_json(_now(), reveal=True)


@webhooks.route("/v1/webhooks/secret", methods=["POST"], content_types=ACCEPTED, query=NoQuery,
                body=NoFields, body_required=False,
                responses={201: Answer("The new default secret, shown this once.", "DefaultSecretBody")})
def rotate_tenant_secret() -> Response:
    """Make or rotate the default secret that signs batches' own ``webhook_url`` (shown once)."""
    from chalicelib.services import webhook_endpoints as service

    secret = service.rotate_tenant_secret(get_ports(), _bodyless())
    return Response(body=secret.to_json(_now(), reveal=True), status_code=201)


@webhooks.route("/v1/webhooks/secret", methods=["GET"], query=NoQuery,
                responses={200: Answer("The default secret's state.", "DefaultSecretState")})
def tenant_secret() -> dict[str, Any]:
    """Whether the default secret exists, since when, and its hint (never the secret)."""
    secret = get_ports().webhooks.tenant_secret(_tenant())
    return {"default_secret": secret.to_json(_now()) if secret else None}


@webhooks.route("/v1/webhooks/deliveries/{delivery_id}", methods=["GET"], query=NoQuery,
                responses={200: Answer("The delivery.", "DeliveryBody")})
def get_delivery(delivery_id: str) -> dict[str, Any]:
    """One delivery and every attempt made."""
    from chalicelib.services import delivering

    return delivering.get_delivery(get_ports(), _tenant(), delivery_id).to_json()


@webhooks.route("/v1/webhooks/deliveries/{delivery_id}/redeliver", methods=["POST"],
                content_types=ACCEPTED, query=NoQuery, body=NoFields, body_required=False,
                responses={202: Answer("Sent again now.", "DeliveryBody")})
def redeliver(delivery_id: str) -> Response:
    """Send a delivery again now, with a new retry window."""
    from chalicelib.services import delivering

    delivery = delivering.redeliver(get_ports(), _bodyless(), delivery_id)
    return Response(body=delivery.to_json(), status_code=202)


@webhooks.route("/v1/batches/{batch_id}/webhooks", methods=["GET"], query=NoQuery,
                responses={200: Answer("The batch's deliveries.", "BatchDeliveries")})
def batch_deliveries(batch_id: str) -> dict[str, Any]:
    """Every delivery of a batch's events, oldest first, with its attempts."""
    from chalicelib.services.batches import get_batch

    ports = get_ports()
    tenant_id = _tenant()
    batch = get_batch(ports, tenant_id, batch_id)
    return {"batch_id": batch.batch_id, "webhook_id": batch.webhook_id, "webhook_url": batch.webhook_url,
            "deliveries": [d.to_json() for d in ports.deliveries.for_batch(tenant_id, batch_id)]}
