"""An HTTP provider: one vendor API call per record, its JSON reply mapped onto enricher outputs."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, EnricherResult, Lookup
from chalicelib.domain.enrich.deadline import bounded, expired, time_left
from chalicelib.netguard import Policy, RefusedDestination
from chalicelib.observability import metrics
from chalicelib.observability.tracing import traced
from chalicelib.sources.config import PLACEHOLDER, HttpSourceConfig
from chalicelib.sources.pool import ConnectionPool
from chalicelib.sources.resilience import (
    BreakerState,
    CircuitBreaker,
    RateLimit,
    TokenBucket,
    backoff_delay,
    http_date_epoch,
    parse_retry_after,
)

USER_AGENT = "batch-enrich/0.1"
# A person or company profile is a few KB; anything this big is not an answer about one record.
MAX_RESPONSE_BYTES = 1 << 20


class Opener(Protocol):
    """What the provider needs from ``urllib.request.OpenerDirector`` (tests may pass their own)."""

    def open(self, fullurl: urllib.request.Request, data: bytes | None = None,
             timeout: float | None = ...) -> Any:
        """Send a request and return a response with ``status``, ``headers`` and ``read()``."""
        ...


@dataclass(frozen=True)
class _Reply:
    """An HTTP answer, whatever its status."""

    status: int
    body: bytes = b""
    retry_after: str | None = None
    date: str | None = None


class HttpProvider:
    """A vendor API as an enricher: rate-limited, retried, behind a circuit breaker."""

    def __init__(self, config: HttpSourceConfig, secret: str | None = None,
                 clock_epoch: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, opener: Opener | None = None,
                 random: Callable[[], float] = random.random, policy: Policy | None = None,
                 limiter: RateLimit | None = None) -> None:
        if config.auth_header and not secret:
            raise ValueError(f"source {config.name!r} needs the secret {config.secret_name!r}")
        if secret and ("\r" in secret or "\n" in secret):
            raise ValueError(f"secret {config.secret_name!r} holds a line break")  # header injection
        self.name = config.name
        self.price = config.price
        self._config = config
        self._secret = secret
        self._sleep = sleep
        self._random = random
        self.max_in_flight = config.max_in_flight
        # Keep-alive connections, as many as may be in flight at once.
        self._opener: Opener = opener or ConnectionPool(policy or Policy(), config.max_in_flight,
                                                        MAX_RESPONSE_BYTES)
        self._in_flight = threading.BoundedSemaphore(config.max_in_flight)
        # One rate limit and one breaker per provider: the vendor sees all worker threads as one
        # client (and with a shared ``limiter``, every worker process and sandbox as well).
        # No burst: evenly spaced calls also stay under vendors that count a sliding window.
        self._limit: RateLimit = limiter or TokenBucket(config.rate_limit_per_second, clock_epoch, sleep)
        self._breaker = CircuitBreaker(config.breaker_threshold, config.breaker_cooldown_seconds,
                                       clock_epoch)

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Ask the vendor about one record; vendor trouble becomes this row's ERROR, never a raise."""
        if any(not (record.get(name) or "").strip() for name in self._config.required_fields()):
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        if not self._breaker.allow():
            metrics.count("VendorBreakerRefused", source=self.name)
            metrics.gauge("VendorBreakerOpen", 1, source=self.name)
            return _error("circuit open")
        available = False
        try:
            with self._in_flight:
                result, available = self._call(self._request(record))
        finally:
            self._breaker.record(available)
            metrics.gauge("VendorBreakerOpen", int(self._breaker.state is BreakerState.OPEN),
                          source=self.name)
        return replace(result, lookup=Lookup.VENDOR)

    @property
    def config(self) -> HttpSourceConfig:
        """The source as configured."""
        return self._config

    def describe(self) -> dict[str, Any]:
        """The configuration and breaker state, safe to log: no secret, no header values."""
        described = self._config.model_dump(exclude={"headers"})
        return described | {"headers": sorted(self._config.headers),
                            "secret_set": self._secret is not None,
                            "breaker": self._breaker.state.value}

    def _request(self, record: CanonicalRecord) -> urllib.request.Request:
        cfg = self._config
        url = PLACEHOLDER.sub(lambda m: quote(record[m.group(1)].strip(), safe=""), cfg.url)
        # Optional inputs the record lacks are left out rather than sent empty.
        params = {param: record[name] for param, name in cfg.query.items() if record.get(name)}
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT, **cfg.headers}
        data = None
        if cfg.method == "POST":
            body = {key: record[name] for key, name in cfg.body.items() if record.get(name)}
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if cfg.auth_header and self._secret:
            headers[cfg.auth_header] = f"{cfg.auth_scheme} {self._secret}".strip()
        return urllib.request.Request(url, data=data, headers=headers, method=cfg.method)

    def _call(self, request: urllib.request.Request) -> tuple[EnricherResult, bool]:
        """The record's result, and whether the vendor was reachable (what the breaker counts).

        No attempt starts, and no wait outlasts, the row's deadline (``deadline.row_deadline``).
        """
        cfg = self._config
        reason = ""
        for attempt in range(cfg.max_retries + 1):
            self._limit.acquire()
            if expired():
                return _error(f"timeout: the row's deadline passed{_after(reason)}"), True
            started = time.perf_counter()
            with traced("vendor", source=self.name) as annotate:
                reply = self._send(request)
                annotate("status_code", reply.status if isinstance(reply, _Reply) else 0)
            self._measure(reply, started)
            if isinstance(reply, RefusedDestination):  # never retried: the answer will not change
                return _error(f"destination refused: {reply}"), True
            if isinstance(reply, _Reply) and not self._retryable(reply.status):
                return self._interpret(reply), True
            reason, delay = self._retry_plan(reply, attempt)
            if isinstance(reply, _Reply) and reply.status in cfg.throttle_statuses:
                # The vendor's limit is the tenant's, not this caller's: every caller waits.
                self._limit.hold(delay)
            elif attempt < cfg.max_retries:
                left = time_left()
                if left is not None and delay >= left:  # no time for another attempt
                    return _error(f"timeout: the row's deadline passed{_after(reason)}"), False
                self._sleep(delay)
        attempts = cfg.max_retries + 1
        return _error(reason if attempts == 1 else f"{reason} after {attempts} attempts"), False

    def _send(self, request: urllib.request.Request) -> _Reply | RefusedDestination | str:
        """One HTTP exchange: a reply of any status, a refused destination, or why there was none."""
        timeout = max(0.001, bounded(self._config.timeout_seconds))
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return _Reply(response.status, response.read(MAX_RESPONSE_BYTES + 1))
        except HTTPError as exc:
            with exc:  # urllib raises non-2xx answers; they are replies all the same
                return _Reply(exc.code, retry_after=exc.headers.get("Retry-After"),
                              date=exc.headers.get("Date"))
        except URLError as exc:
            if isinstance(exc.reason, RefusedDestination):
                return exc.reason
            if isinstance(exc.reason, TimeoutError):
                return f"timeout ({timeout:g}s)"
            return f"connection error: {exc.reason}"
        except TimeoutError:
            return f"timeout ({timeout:g}s)"
        except (OSError, http.client.HTTPException) as exc:
            return f"connection error: {type(exc).__name__}"

    def _measure(self, reply: _Reply | RefusedDestination | str, started: float) -> None:
        """One exchange's metrics (a refused destination never left this process)."""
        if isinstance(reply, RefusedDestination):
            return
        metrics.count("VendorCalls", source=self.name)
        metrics.sample("VendorLatency", round((time.perf_counter() - started) * 1000, 1),
                       source=self.name)
        if isinstance(reply, str) or reply.status >= 500:
            metrics.count("VendorErrors", source=self.name)
        elif reply.status in self._config.throttle_statuses:
            metrics.count("VendorThrottled", source=self.name)

    def _retryable(self, status: int) -> bool:
        cfg = self._config
        return status not in cfg.not_found_statuses and (status in cfg.throttle_statuses or status >= 500)

    def _retry_plan(self, reply: _Reply | str, attempt: int) -> tuple[str, float]:
        backoff = backoff_delay(attempt, self._config.backoff_seconds, self._random)
        if isinstance(reply, str):
            return reply, backoff
        if reply.status in self._config.throttle_statuses:
            wait = parse_retry_after(reply.retry_after, _server_now(reply.date))
            return f"HTTP {reply.status}", backoff if wait is None else wait
        return f"HTTP {reply.status}", backoff

    def _interpret(self, reply: _Reply) -> EnricherResult:
        cfg = self._config
        no_match = EnricherResult(status=AttributeStatus.RUN, outputs=dict.fromkeys(cfg.outputs))
        if reply.status in cfg.not_found_statuses:
            return no_match
        if not 200 <= reply.status < 300:
            return _error(f"HTTP {reply.status}")
        if len(reply.body) > MAX_RESPONSE_BYTES:
            return _error("response too large")
        try:
            payload = json.loads(reply.body)
        except ValueError:
            return _error("response is not JSON")
        outputs = {name: _scalar(lookup(payload, path)) for name, path in cfg.outputs.items()}
        if cfg.match_path:
            matched = _present(_scalar(lookup(payload, cfg.match_path)))
        else:
            matched = any(_present(value) for value in outputs.values())
        if not matched:
            return no_match  # nothing billed, so nothing partial is handed out either
        return EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=outputs)


def lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path (``emails.0.address``) in parsed JSON, or None."""
    current = payload
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _scalar(value: Any) -> Any:
    # Outputs become CSV cells: an object or list the mapping points at is kept as compact JSON.
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False) if value else None
    return value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _server_now(date: str | None) -> float:
    # An HTTP-date Retry-After is measured against the vendor's own clock when it sent one,
    # so a skewed worker clock neither skips nor stretches the wait.
    sent = http_date_epoch(date) if date else None
    return time.time() if sent is None else sent


def _after(reason: str) -> str:
    return f" (after {reason})" if reason else ""


def _error(reason: str) -> EnricherResult:
    return EnricherResult(status=AttributeStatus.ERROR, error=reason)
