"""Webhook endpoints and default secrets in memory."""

from __future__ import annotations

from chalicelib.adapters.webhooks import ENDPOINT_PREFIX
from chalicelib.domain.errors import Conflict
from chalicelib.domain.webhooks import Endpoint, TenantSecret
from tests.fakes.tables import Tables


class InMemoryWebhooks:
    """The Webhooks port on dicts (frozen dataclasses: no copies needed)."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def put_new(self, endpoint: Endpoint) -> None:
        """Store a new endpoint (Conflict if it exists)."""
        with self._t.lock:
            key = (endpoint.tenant_id, endpoint.webhook_id)
            if key in self._t.webhooks:
                raise Conflict(f"An endpoint {endpoint.webhook_id!r} exists already.")
            self._t.webhooks[key] = endpoint

    def get(self, tenant_id: str, webhook_id: str) -> Endpoint | None:
        """One of a tenant's endpoints, or None."""
        with self._t.lock:
            found: Endpoint | None = self._t.webhooks.get((tenant_id, webhook_id))
            return found

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        """Every endpoint of a tenant, oldest first."""
        with self._t.lock:
            return [e for (t, w), e in sorted(self._t.webhooks.items())
                    if t == tenant_id and w.startswith(ENDPOINT_PREFIX)]

    def replace(self, endpoint: Endpoint, seen_updated_at: str) -> bool:
        """Store a changed endpoint if nobody changed it since ``seen_updated_at``."""
        with self._t.lock:
            key = (endpoint.tenant_id, endpoint.webhook_id)
            held = self._t.webhooks.get(key)
            if held is None or held.updated_at != seen_updated_at:
                return False
            self._t.webhooks[key] = endpoint
            return True

    def delete(self, tenant_id: str, webhook_id: str) -> bool:
        """Forget an endpoint; False if there was none."""
        with self._t.lock:
            return self._t.webhooks.pop((tenant_id, webhook_id), None) is not None

    def tenant_secret(self, tenant_id: str) -> TenantSecret | None:
        """The tenant's default signing secret, or None."""
        with self._t.lock:
            found: TenantSecret | None = self._t.tenant_secrets.get(tenant_id)
            return found

    def put_tenant_secret(self, secret: TenantSecret, seen_created_at: str | None) -> bool:
        """Store the tenant's default secret unless another rotation changed it first."""
        with self._t.lock:
            held = self._t.tenant_secrets.get(secret.tenant_id)
            if (held.created_at if held else None) != seen_created_at:
                return False
            self._t.tenant_secrets[secret.tenant_id] = secret
            return True
