"""Every metric the service emits: its name, unit, dimensions and what it counts.

``metrics.count``/``sample``/``gauge`` refuse a name that is not here, and ``infra/dashboard.py``
draws the dashboard by iterating this list, so a metric is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["count", "sample", "gauge"]


@dataclass(frozen=True)
class MetricSpec:
    """One metric: counts are summed per invocation, samples kept, gauges keep their highest value."""

    name: str
    kind: Kind
    unit: str
    dimensions: tuple[str, ...]
    what: str


def _count(name: str, what: str, *dimensions: str) -> MetricSpec:
    return MetricSpec(name, "count", "Count", dimensions, what)


ROWS = (
    _count("RowsMatched", "rows settled with a match (billed)"),
    _count("RowsNotFound", "rows settled without data (free)"),
    _count("RowsFailed", "rows settled failed (free)"),
    _count("RowsSkipped", "rows settled skipped (free)"),
    _count("RowsParked", "rows parked: their batch paused before they could be paid for"),
    _count("RowsHandedOn", "rows a work invocation short of time sent on as the chunk's next part"),
)
MONEY = (_count("CreditsCharged", "credits charged by settlements"),)
CHUNKS = (
    _count("ChunksSettled", "chunk parts settled whole"),
    _count("ChunksParked", "chunk parts with parked rows"),
    _count("ChunksHandedOn", "chunk parts whose invocation ran short of time and handed rows on"),
)
BATCHES = (
    _count("BatchesCreated", "batches created"),
    _count("BatchesPaused", "batches paused (reason: balance, cap)", "reason"),
    _count("BatchesResumed", "batches resumed (by the API, a top-up or the tick)"),
    _count("BatchesReprocessed", "reprocess requests accepted"),
    _count("BatchesCompleted", "batches completed"),
    _count("BatchesFailed", "batches that ended failed"),
    _count("BatchesCancelled", "batches cancelled"),
)
SPLIT = (
    _count("SplitRows", "rows split into chunks"),
    MetricSpec("SplitRowsPerSecond", "sample", "Count/Second", (), "rows per second of one split"),
)
VENDORS = (
    _count("VendorCalls", "HTTP exchanges with a vendor source", "source"),
    MetricSpec("VendorLatency", "sample", "Milliseconds", ("source",), "one vendor exchange's duration"),
    _count("VendorThrottled", "vendor answers 429", "source"),
    _count("VendorErrors", "vendor exchanges that failed (5xx, timeout, connection)", "source"),
    _count("VendorCacheHits", "rows answered from the tenant's result cache (no call)", "source"),
    _count("VendorDuplicates", "rows answered by another row of their batch (no call)", "source"),
    _count("VendorBreakerRefused", "rows refused by an open circuit breaker", "source"),
    MetricSpec("VendorBreakerOpen", "gauge", "Count", ("source",), "1 while a source's breaker is open"),
)
HEALING = (
    MetricSpec("BatchesNeedingAttention", "gauge", "Count", (), "open batches the tick looked at"),
    MetricSpec("BatchesStalled", "gauge", "Count", (),
               "batches processing without progress for stalled_after_seconds (tick)"),
    _count("MessagesRedriven", "dead letters sent back to their queue (tick)", "queue"),
    _count("MessagesGivenUp", "dead letters given up after the redrive limit (tick)", "queue"),
)
# Webhooks (the deliver function): event is one of the five event types; answer is 2xx, 3xx, 4xx,
# 5xx, timeout, error or refused; outcome is succeeded or failed (given up, re-sendable).
WEBHOOKS = (
    _count("WebhookEvents", "events fanned out into deliveries", "event"),
    _count("WebhookAttempts", "delivery attempts, by what the receiver answered", "event", "answer"),
    _count("WebhookDeliveries", "deliveries that ended: succeeded, or failed for good", "event", "outcome"),
    MetricSpec("WebhookLatency", "sample", "Milliseconds", (), "one delivery attempt's duration"),
)
METRICS: tuple[MetricSpec, ...] = (*ROWS, *MONEY, *CHUNKS, *BATCHES, *SPLIT, *VENDORS, *HEALING,
                                   *WEBHOOKS)
BY_NAME = {spec.name: spec for spec in METRICS}
