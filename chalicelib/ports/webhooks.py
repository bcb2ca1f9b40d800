"""A tenant's webhook endpoints and its default signing secret."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.webhooks import Endpoint, TenantSecret


class Webhooks(Protocol):
    """Endpoints by tenant, and each tenant's default signing secret."""

    def put_new(self, endpoint: Endpoint) -> None:
        """Store a new endpoint (never overwrites one: Conflict)."""

    def get(self, tenant_id: str, webhook_id: str) -> Endpoint | None:
        """One of a tenant's endpoints, read consistently, or None (also for another tenant's)."""

    def endpoints(self, tenant_id: str) -> list[Endpoint]:
        """Every endpoint of a tenant, oldest first."""

    def replace(self, endpoint: Endpoint, seen_updated_at: str) -> bool:
        """Store a changed endpoint if nobody changed it since ``seen_updated_at``; False if not."""

    def delete(self, tenant_id: str, webhook_id: str) -> bool:
        """Forget an endpoint; False if there was none."""

    def tenant_secret(self, tenant_id: str) -> TenantSecret | None:
        """The tenant's default signing secret, or None before the first one was made."""

    def put_tenant_secret(self, secret: TenantSecret, seen_created_at: str | None) -> bool:
        """Store the tenant's default secret if the stored one is still ``seen_created_at``
        (None: there is none yet); False if another rotation won."""
