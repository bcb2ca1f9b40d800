"""Webhooks: the events a customer can subscribe to, endpoints, deliveries and their retry schedule."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.models import BatchStatus
from chalicelib.domain.signing import masked


class WebhookEvent(StrEnum):
    """What a webhook can announce."""

    BATCH_COMPLETED = "batch.completed"
    BATCH_FAILED = "batch.failed"
    BATCH_PAUSED = "batch.paused"
    BATCH_CANCELLED = "batch.cancelled"
    CREDITS_LOW = "credits.low"


BATCH_EVENTS = frozenset({WebhookEvent.BATCH_COMPLETED, WebhookEvent.BATCH_FAILED,
                          WebhookEvent.BATCH_PAUSED, WebhookEvent.BATCH_CANCELLED})

# The event a batch's arrival at a status announces.
EVENT_OF_STATUS = {
    BatchStatus.COMPLETED: WebhookEvent.BATCH_COMPLETED,
    BatchStatus.FAILED: WebhookEvent.BATCH_FAILED,
    BatchStatus.CANCELLED: WebhookEvent.BATCH_CANCELLED,
    BatchStatus.PAUSED_INSUFFICIENT_CREDITS: WebhookEvent.BATCH_PAUSED,
    BatchStatus.PAUSED_CREDIT_CAP: WebhookEvent.BATCH_PAUSED,
}


def announcement(event: WebhookEvent, at: str) -> str:
    """The mark a status write leaves on its item until the event is fanned out: ``event@at``."""
    return f"{event.value}@{at}"


def announced_event(mark: str) -> WebhookEvent:
    """The event a mark stands for."""
    return WebhookEvent(mark.split("@", 1)[0])


def event_id(tenant_id: str, subject: str, mark: str) -> str:
    """The id of the event a mark stands for: the same however often it is fanned out."""
    return "evt_" + hashlib.sha256(f"{tenant_id}/{subject}/{mark}".encode()).hexdigest()[:24]


def delivery_id(event: str, target: str) -> str:
    """The id of one event's delivery to one target (its ``webhook-id`` on every attempt)."""
    return "msg_" + hashlib.sha256(f"{event}/{target}".encode()).hexdigest()[:24]


class DeliveryStatus(StrEnum):
    """Where a delivery is: still trying, delivered (a 2xx), or given up."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Endpoint:
    """A tenant's webhook endpoint: where events go and the secrets that sign them."""

    tenant_id: str
    webhook_id: str
    url: str
    events: tuple[WebhookEvent, ...]
    secret: str
    created_at: str
    updated_at: str
    description: str = ""
    previous_secret: str | None = None
    previous_until: int | None = None  # epoch seconds: the old secret also signs until then

    def secrets_in_force(self, now: float) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one in grace."""
        return signing_secrets(self.secret, self.previous_secret, self.previous_until, now)

    def to_json(self, now: float, reveal: bool = False) -> dict[str, Any]:
        """The endpoint as the API shows it: the secret itself only when ``reveal`` (once)."""
        return {"webhook_id": self.webhook_id, "url": self.url,
                "events": [e.value for e in self.events], "description": self.description,
                "created_at": self.created_at, "updated_at": self.updated_at,
                **secret_json(self.secret, self.previous_secret, self.previous_until, now, reveal)}


def secret_json(secret: str, previous: str | None, previous_until: int | None, now: float,
                reveal: bool) -> dict[str, Any]:
    """How a secret shows: itself (once), or a hint; and until when the previous one still signs."""
    in_grace = len(signing_secrets(secret, previous, previous_until, now)) > 1
    shown: dict[str, Any] = {"secret": secret} if reveal else {"secret_hint": masked(secret)}
    return shown | {"previous_secret_expires_at": previous_until if in_grace else None}


def signing_secrets(secret: str, previous: str | None, previous_until: int | None,
                    now: float) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    if previous and previous_until is not None and now < previous_until:
        return [secret, previous]
    return [secret]


@dataclass(frozen=True)
class Attempt:
    """One try at a delivery, as the log shows it."""

    attempt: int
    at: str
    duration_ms: int
    status_code: int | None = None  # None: no HTTP answer (refused, timed out, unreachable)
    error: str | None = None
    response: str = ""  # the start of the receiver's answer
    trigger: str = "automatic"  # or "manual" (a re-send the customer asked for)

    def to_json(self) -> dict[str, Any]:
        """The attempt as the API shows it."""
        return {"attempt": self.attempt, "at": self.at, "duration_ms": self.duration_ms,
                "status_code": self.status_code, "error": self.error, "response": self.response,
                "trigger": self.trigger}


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one target (an endpoint, or a batch's own ``webhook_url``)."""

    tenant_id: str
    delivery_id: str
    event_id: str
    event_type: WebhookEvent
    url: str
    payload: str  # the JSON body, byte for byte what is signed and sent on every attempt
    created_at: str
    first_attempt_at: int  # epoch seconds: the retry window counts from here
    next_attempt_at: int
    status: DeliveryStatus = DeliveryStatus.PENDING
    webhook_id: str | None = None  # None: the batch's webhook_url, signed with the default secret
    batch_id: str | None = None
    attempts_made: int = 0
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The delivery and its attempts as the API shows them."""
        return {"delivery_id": self.delivery_id, "event_id": self.event_id,
                "event_type": self.event_type.value, "webhook_id": self.webhook_id,
                "url": self.url, "batch_id": self.batch_id, "status": self.status.value,
                "created_at": self.created_at, "attempts_made": self.attempts_made,
                "next_attempt_at": self.next_attempt_at if self.status is DeliveryStatus.PENDING
                else None,
                "attempts": [a.to_json() for a in self.attempts]}


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, …): doubling from ``base`` up to
    ``cap``, each spread by ±20% so a receiver that was down is not hit by every delivery at once."""
    delay: float = min(base * 2.0 ** min(attempt - 1, 60), cap)
    spread: float = (rng or random).uniform(0.8, 1.2)
    return delay * spread


@dataclass(frozen=True)
class TenantSecret:
    """A tenant's default signing secret: it signs deliveries to batches' own ``webhook_url``."""

    tenant_id: str
    secret: str
    created_at: str
    previous_secret: str | None = None
    previous_until: int | None = None

    def secrets_in_force(self, now: float) -> list[str]:
        """The secrets a delivery is signed with now."""
        return signing_secrets(self.secret, self.previous_secret, self.previous_until, now)

    def to_json(self, now: float, reveal: bool = False) -> dict[str, Any]:
        """The default secret as the API shows it: itself only when ``reveal`` (once)."""
        return {"created_at": self.created_at,
                **secret_json(self.secret, self.previous_secret, self.previous_until, now, reveal)}


@dataclass(frozen=True)
class Announcement:
    """An event a status write marked on its item and that is not fanned out yet.

    ``batch_id`` None: a tenant's event (``credits.low``), marked on the tenant item.
    """

    tenant_id: str
    batch_id: str | None
    mark: str
