"""Delivery attempts: sign and POST when due, log every attempt, retry with backoff, re-send on request.

A failed attempt is retried after ``retry_delay`` (doubling from webhook_retry_base_seconds up
to webhook_retry_max_seconds) until webhook_retry_window_seconds after the first attempt. A
retry is a new deliver-queue message delayed by SQS, at most 15 minutes at a time: one due
later comes back, finds itself early and is sent again with the rest of the wait (no sleep).
One attempt at a time: a lease (``Deliveries.claim``) keeps a duplicate message from POSTing
twice; a crashed holder's lease runs out and its message, delivered again, takes over.
"""

from __future__ import annotations

from chalicelib import topology
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.signing import signed_headers
from chalicelib.domain.webhook_messages import AttemptMessage
from chalicelib.domain.webhooks import Attempt, Delivery, DeliveryStatus, retry_delay
from chalicelib.observability import logger, metrics, request_id
from chalicelib.services.ports import Ports
from chalicelib.services.webhook_sender import Outcome, post

SQS_MAX_DELAY = 900
MAX_ATTEMPTS = 100  # per delivery, re-sends included: the log stays well inside one item


def attempt_delivery(ports: Ports, message: AttemptMessage) -> str:
    """Make the attempt a message asks for, if it is still the delivery's next one; the outcome."""
    delivery = ports.deliveries.get(message.tenant_id, message.delivery_id)
    if delivery is None or delivery.status is not DeliveryStatus.PENDING \
            or delivery.attempts_made + 1 != message.attempt:
        return "stale"  # made already, or superseded by a re-send
    now = int(ports.clock.epoch())
    if delivery.next_attempt_at > now:
        _send(ports, message, delivery.next_attempt_at - now)
        return "early"
    lease = int(ports.settings.webhook_timeout_seconds) + 30
    if not ports.deliveries.claim(message.tenant_id, message.delivery_id, message.attempt, now + lease, now):
        _send(ports, message, lease)  # another message holds this attempt: look again after its lease
        return "held"
    outcome = _post(ports, delivery)
    status, next_at = _next_step(ports, delivery, outcome, message.attempt)
    logged = Attempt(attempt=message.attempt, at=ports.clock.now(), duration_ms=outcome.duration_ms,
                     status_code=outcome.status_code, error=outcome.error, response=outcome.response,
                     trigger=message.trigger)
    if not ports.deliveries.record(message.tenant_id, message.delivery_id, logged, status, next_at):
        return "lost"  # the lease ran out and another attempt took over
    logger.info("webhook attempt", extra={"delivery_id": delivery.delivery_id, "attempt": message.attempt,
                                          "status_code": outcome.status_code, "status": status.value})
    _measure(delivery, outcome, status)
    if status is DeliveryStatus.PENDING:
        retry = message.model_copy(update={"attempt": message.attempt + 1, "trigger": "automatic"})
        _send(ports, retry, next_at - int(ports.clock.epoch()))
    return status.value


def answer_class(outcome: Outcome) -> str:
    """What an attempt came to, as a metric dimension: 2xx … 5xx, refused, timeout or error."""
    if outcome.status_code is not None:
        return f"{outcome.status_code // 100}xx"
    if outcome.refused:
        return "refused"
    return "timeout" if (outcome.error or "").startswith("no answer within") else "error"


def _measure(delivery: Delivery, outcome: Outcome, status: DeliveryStatus) -> None:
    """An attempt's metrics (by event and answer), and the delivery's end when it ended."""
    event = delivery.event_type.value
    metrics.count("WebhookAttempts", event=event, answer=answer_class(outcome))
    metrics.sample("WebhookLatency", outcome.duration_ms)
    if status is not DeliveryStatus.PENDING:
        metrics.count("WebhookDeliveries", event=event, outcome=status.value)


def _post(ports: Ports, delivery: Delivery) -> Outcome:
    """Sign the delivery with the secrets in force now and POST it where its target is now."""
    now = ports.clock.epoch()
    if delivery.webhook_id is not None:
        endpoint = ports.webhooks.get(delivery.tenant_id, delivery.webhook_id)
        if endpoint is None:
            return Outcome(0, error="the endpoint was deleted", refused=True)
        url, secrets = endpoint.url, endpoint.secrets_in_force(now)
    else:
        tenant_secret = ports.webhooks.tenant_secret(delivery.tenant_id)
        if tenant_secret is None:
            return Outcome(0, error="the tenant has no default secret", refused=True)
        url, secrets = delivery.url, tenant_secret.secrets_in_force(now)
    body = delivery.payload.encode()
    headers = signed_headers(secrets, delivery.delivery_id, int(now), body)
    return post(url, body, headers, ports.settings.outbound_policy(),
                ports.settings.webhook_timeout_seconds)


def _next_step(ports: Ports, delivery: Delivery, outcome: Outcome, attempt: int,
               ) -> tuple[DeliveryStatus, int]:
    """Succeeded; failed for good (refused, or the window is over); or pending until the retry."""
    now = int(ports.clock.epoch())
    if outcome.delivered:
        return DeliveryStatus.SUCCEEDED, now
    settings = ports.settings
    delay = int(retry_delay(attempt, settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds))
    window_ends = delivery.first_attempt_at + settings.webhook_retry_window_seconds
    if outcome.refused or attempt >= MAX_ATTEMPTS or now >= window_ends:
        return DeliveryStatus.FAILED, now
    return DeliveryStatus.PENDING, min(now + max(delay, 1), window_ends)


def _send(ports: Ports, message: AttemptMessage, wait: int) -> None:
    delay = max(0, min(wait, SQS_MAX_DELAY))
    ports.queue.send(ports.queue_name(topology.DELIVER), [message.model_dump_json()], delay_seconds=delay)


def get_delivery(ports: Ports, tenant_id: str, delivery_id: str) -> Delivery:
    """One of the tenant's deliveries, or 404."""
    delivery = ports.deliveries.get(tenant_id, delivery_id)
    if delivery is None:
        raise NotFound(f"No webhook delivery {delivery_id!r}.")
    return delivery


def redeliver(ports: Ports, tenant_id: str, delivery_id: str) -> Delivery:
    """Send a delivery again now (whatever came of it), with a new retry window."""
    delivery = get_delivery(ports, tenant_id, delivery_id)
    if delivery.attempts_made >= MAX_ATTEMPTS:
        raise Conflict(f"This delivery was attempted {MAX_ATTEMPTS} times; no more re-sends.")
    reopened = ports.deliveries.reopen(tenant_id, delivery_id, int(ports.clock.epoch()))
    if reopened is None:
        raise Conflict("An attempt of this delivery is in flight; try again in a minute.",
                       retry_after=60)
    _send(ports, AttemptMessage(tenant_id=tenant_id, delivery_id=delivery_id,
                                attempt=reopened.attempts_made + 1, trigger="manual",
                                batch_id=reopened.batch_id, request_id=request_id()), 0)
    return reopened
