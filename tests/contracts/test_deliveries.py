"""The Deliveries port: one record per event and target, attempts under a lease, re-sends."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus, WebhookEvent
from chalicelib.services.ports import Ports
from tests.contracts.conftest import NOW


def _delivery(delivery_id: str, batch_id: str | None = "b_1", created_at: str = NOW) -> Delivery:
    return Delivery(tenant_id="t_a", delivery_id=delivery_id, event_id="evt_1",
                    event_type=WebhookEvent.BATCH_COMPLETED, url="https://hooks.example.com",
                    payload='{"type":"batch.completed"}', created_at=created_at, first_attempt_at=1_000,
                    next_attempt_at=1_000, webhook_id="we_1", batch_id=batch_id)


def _attempt(n: int, status_code: int | None) -> Attempt:
    return Attempt(attempt=n, at=NOW, duration_ms=12, status_code=status_code,
                   error=None if status_code else "timed out", response="nope")


def test_a_delivery_is_stored_once_and_listed_with_its_batch(ports: Ports) -> None:
    assert ports.deliveries.put_new(_delivery("msg_b", created_at="2025-11-01T00:00:00.000+00:00"), 9_999)
    assert ports.deliveries.put_new(_delivery("msg_a"), 9_999)
    assert not ports.deliveries.put_new(replace(_delivery("msg_a"), url="https://x.example.com"), 9_999)
    assert ports.deliveries.put_new(_delivery("msg_c", batch_id=None), 9_999)  # credits.low
    assert ports.deliveries.put_new(_delivery("msg_d", batch_id="b_10"), 9_999)

    assert [d.delivery_id for d in ports.deliveries.for_batch("t_a", "b_1")] == ["msg_a", "msg_b"]
    assert ports.deliveries.get("t_a", "msg_a") == _delivery("msg_a")
    assert ports.deliveries.get("t_other", "msg_a") is None


def test_one_attempt_at_a_time_each_logged_once(ports: Ports) -> None:
    ports.deliveries.put_new(_delivery("msg_a"), 9_999)
    assert not ports.deliveries.claim("t_a", "msg_a", 2, lease_until=1_060, now=1_000)  # not next
    assert ports.deliveries.claim("t_a", "msg_a", 1, lease_until=1_060, now=1_000)
    assert not ports.deliveries.claim("t_a", "msg_a", 1, lease_until=1_070, now=1_010)  # held

    assert ports.deliveries.record("t_a", "msg_a", _attempt(1, 500), DeliveryStatus.PENDING, 1_030)
    assert not ports.deliveries.record("t_a", "msg_a", _attempt(1, 500), DeliveryStatus.PENDING, 1_030)
    assert ports.deliveries.claim("t_a", "msg_a", 2, lease_until=1_090, now=1_031)
    assert ports.deliveries.claim("t_a", "msg_a", 2, lease_until=1_200, now=1_100)  # lease ran out
    assert ports.deliveries.record("t_a", "msg_a", _attempt(2, 200), DeliveryStatus.SUCCEEDED, 1_101)
    assert not ports.deliveries.claim("t_a", "msg_a", 3, lease_until=1_300, now=1_200)  # delivered

    got = ports.deliveries.get("t_a", "msg_a")
    assert got is not None and got.status is DeliveryStatus.SUCCEEDED and got.attempts_made == 2
    assert got.attempts == (_attempt(1, 500), _attempt(2, 200))


def test_a_re_send_waits_for_the_attempt_in_flight_then_opens_a_new_window(ports: Ports) -> None:
    ports.deliveries.put_new(_delivery("msg_a"), 9_999)
    ports.deliveries.claim("t_a", "msg_a", 1, lease_until=1_060, now=1_000)
    assert ports.deliveries.reopen("t_a", "msg_a", 1_010) is None
    ports.deliveries.record("t_a", "msg_a", _attempt(1, None), DeliveryStatus.FAILED, 1_020)

    reopened = ports.deliveries.reopen("t_a", "msg_a", 5_000)
    assert reopened is not None
    assert (reopened.status, reopened.first_attempt_at, reopened.next_attempt_at, reopened.attempts_made) \
        == (DeliveryStatus.PENDING, 5_000, 5_000, 1)
    assert ports.deliveries.claim("t_a", "msg_a", 2, lease_until=5_060, now=5_000)
    assert ports.deliveries.reopen("t_a", "msg_missing", 5_000) is None
