"""The Webhooks port: endpoints by tenant, optimistic changes, the tenant's default secret."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.signing import new_secret
from chalicelib.domain.webhooks import Endpoint, TenantSecret, WebhookEvent
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW


def _endpoint(tenant_id: str, webhook_id: str) -> Endpoint:
    return Endpoint(tenant_id, webhook_id, "https://hooks.example.com/in",
                    (WebhookEvent.BATCH_COMPLETED, WebhookEvent.CREDITS_LOW), new_secret(), NOW, NOW,
                    description="ops")


def test_endpoints_are_kept_per_tenant_and_never_overwritten(ports: Ports) -> None:
    first, second = _endpoint("t_a", "we_001"), _endpoint("t_a", "we_002")
    ports.webhooks.put_new(first)
    ports.webhooks.put_new(second)
    ports.webhooks.put_new(_endpoint("t_b", "we_003"))

    with pytest.raises(Conflict):
        ports.webhooks.put_new(replace(first, url="https://other.example.com"))
    assert ports.webhooks.get("t_a", "we_001") == first
    assert ports.webhooks.get("t_b", "we_001") is None  # another tenant's id is nobody's
    assert ports.webhooks.endpoints("t_a") == [first, second]


def test_a_change_applies_only_over_what_was_read(ports: Ports) -> None:
    endpoint = _endpoint("t_a", "we_001")
    ports.webhooks.put_new(endpoint)
    changed = replace(endpoint, url="https://new.example.com", updated_at="2025-11-01T00:00:00.000+00:00")

    assert ports.webhooks.replace(changed, endpoint.updated_at)
    assert not ports.webhooks.replace(replace(endpoint, description="stale"), endpoint.updated_at)
    assert ports.webhooks.get("t_a", "we_001") == changed
    assert ports.webhooks.delete("t_a", "we_001")
    assert not ports.webhooks.delete("t_a", "we_001")
    assert ports.webhooks.get("t_a", "we_001") is None


def test_the_default_secret_is_not_an_endpoint_and_rotates_once_per_reading(ports: Ports) -> None:
    first = TenantSecret("t_a", new_secret(), NOW)
    assert ports.webhooks.tenant_secret("t_a") is None
    assert ports.webhooks.put_tenant_secret(first, None)
    assert not ports.webhooks.put_tenant_secret(TenantSecret("t_a", new_secret(), NOW), None)

    rotated = TenantSecret("t_a", new_secret(), "2025-11-01T00:00:00.000+00:00", first.secret, 1_000)
    assert ports.webhooks.put_tenant_secret(rotated, first.created_at)
    assert not ports.webhooks.put_tenant_secret(replace(rotated, secret=new_secret()), first.created_at)
    assert ports.webhooks.tenant_secret("t_a") == rotated
    assert ports.webhooks.endpoints("t_a") == []
