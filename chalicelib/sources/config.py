"""What an HTTP provider is: a vendor API described as data (request, response mapping, limits)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, model_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import MAX_PRICE

# ``{email}`` in a URL template: only plain canonical field names, never format specs, so a
# record value can never be interpreted as a template.
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
Short = Annotated[str, Field(max_length=256)]  # names, paths, schemes
Text = Annotated[str, Field(max_length=2048)]  # templated values


class HttpSourceConfig(LazyModel):
    """One vendor API: how to ask it about a record and where the answers sit in its reply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
    url: str = Field(max_length=2048, pattern=r"^https?://")
    method: Literal["GET", "POST"] = "GET"
    query: dict[Short, Text] = Field(default_factory=dict, max_length=50)
    body: dict[Short, Text] = Field(default_factory=dict, max_length=50)
    headers: dict[Short, Text] = Field(default_factory=dict, max_length=50)
    auth_header: Short | None = None
    auth_scheme: Short = "Bearer"
    secret_name: str | None = Field(default=None, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    requires: list[Short] = Field(default_factory=list, max_length=20)
    outputs: dict[Short, Short] = Field(min_length=1, max_length=100)
    match_path: Short | None = None
    not_found_statuses: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [404], max_length=20)
    # Statuses that mean "slow down": waited out (Retry-After, else the backoff) by every worker
    # and retried. Most vendors answer 429; some use another (Hunter: 403).
    throttle_statuses: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=lambda: [429], min_length=1, max_length=20)
    # No default: what a vendor's answer costs the customer is a decision, not a fallback.
    price: int = Field(ge=0, le=MAX_PRICE)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    rate_limit_per_second: float = Field(default=10.0, gt=0, le=10_000)
    # Calls in flight at once from one worker (its connection pool's size): rate x latency is
    # what keeps a vendor busy at its limit (40/s at 300 ms needs 12).
    max_in_flight: int = Field(default=16, ge=1, le=64)
    max_retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    breaker_threshold: int = Field(default=5, ge=1, le=1_000)
    breaker_cooldown_seconds: float = Field(default=30.0, ge=0, le=3_600)
    # Days a vendor answer is kept and reused (None: the service's result_cache_days; 0: never
    # kept, for a vendor whose terms forbid storing its answers).
    cache_days: int | None = Field(default=None, ge=0, le=3650)

    @model_validator(mode="after")
    def _consistent(self) -> HttpSourceConfig:
        if PLACEHOLDER.search(urlsplit(self.url).netloc):  # a row's value must never pick the host
            raise ValueError("url: placeholders may appear in the path and query only, not the host")
        for placeholder in self.url_fields():
            if not _FIELD_NAME.fullmatch(placeholder):
                raise ValueError(f"url placeholder {{{placeholder}}} is not a canonical field name")
        if self.body and self.method != "POST":
            raise ValueError("body is only sent with method POST")
        if (self.auth_header is None) != (self.secret_name is None):
            raise ValueError("auth_header and secret_name go together")
        for path in [*self.outputs.values(), *([self.match_path] if self.match_path else [])]:
            if not path or any(not part for part in path.split(".")):
                raise ValueError(f"bad response path {path!r}")
        return self

    def url_fields(self) -> list[str]:
        """Canonical fields named by ``{placeholders}`` in the URL template."""
        return PLACEHOLDER.findall(self.url)

    def input_fields(self) -> list[str]:
        """Every canonical field a request may carry: what a cached answer is keyed by."""
        return sorted({*self.url_fields(), *self.query.values(), *self.body.values(), *self.requires})

    def answer_fingerprint(self) -> str:
        """A digest of what shapes the answer (where and how it is asked, how it is read): a
        changed source does not reuse what the former one answered."""
        shaping = self.model_dump(include={"url", "method", "query", "body", "headers", "outputs",
                                           "match_path", "not_found_statuses"})
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]

    def required_fields(self) -> list[str]:
        """Fields a record must have before the vendor is asked: ``requires`` plus URL fields."""
        return list(dict.fromkeys([*self.requires, *self.url_fields()]))
