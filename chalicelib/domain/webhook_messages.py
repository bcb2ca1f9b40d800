"""The bodies of deliver-queue messages: an event to fan out, or one attempt of one delivery.

Each carries the correlation ids of what it belongs to (``tenant_id``, ``batch_id`` and the
``request_id`` of the step that caused it), which the deliver handler puts on its log lines.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.domain.lazy_model import LazyModel


class FanOutMessage(LazyModel):
    """Fan out the event marked on a batch (or, without ``batch_id``, on the tenant)."""

    kind: Literal["fan_out"] = "fan_out"
    tenant_id: str
    batch_id: str | None = None
    request_id: str | None = None  # the step whose status write made the event


class AttemptMessage(LazyModel):
    """Make attempt ``attempt`` (1, 2, …) of a delivery, once it is due."""

    kind: Literal["attempt"] = "attempt"
    tenant_id: str
    delivery_id: str
    attempt: int = Field(ge=1)
    trigger: Literal["automatic", "manual"] = "automatic"
    batch_id: str | None = None  # None: a tenant's event (credits.low)
    request_id: str | None = None  # the step that made the event (a re-send: its API request)


class DeliverMessage(LazyModel):
    """Any deliver-queue message."""

    message: FanOutMessage | AttemptMessage = Field(discriminator="kind")

    @classmethod
    def parse(cls, body: str) -> FanOutMessage | AttemptMessage:
        """The message a body holds."""
        return cls.model_validate_json(f'{{"message": {body}}}').message
