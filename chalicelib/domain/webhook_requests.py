"""The bodies of the /v1/webhooks routes, validated (where a URL may point: ``netguard``)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.webhooks import WebhookEvent

MAX_URL_CHARS = 2048
MAX_DESCRIPTION_CHARS = 256


def _distinct(events: list[WebhookEvent] | None) -> list[WebhookEvent] | None:
    if events is not None and len(set(events)) != len(events):
        raise ValueError("list each event once")
    return events


class WebhookCreate(LazyModel):
    """``POST /v1/webhooks``: where to send which events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(WebhookEvent))
    description: str = Field(default="", max_length=MAX_DESCRIPTION_CHARS)

    _events = field_validator("events")(_distinct)


class WebhookPatch(LazyModel):
    """``PATCH /v1/webhooks/{id}``: what may change on an endpoint (its secret rotates apart)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_CHARS)
    events: list[WebhookEvent] | None = Field(default=None, min_length=1, max_length=len(WebhookEvent))
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)

    _events = field_validator("events")(_distinct)
