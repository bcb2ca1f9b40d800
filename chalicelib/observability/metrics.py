"""CloudWatch metrics in embedded metric format (EMF), recorded per invocation and written at its end.

Every entry point runs inside ``measured`` (the middleware ``handlers/observed.py``): what the
step counts is kept for that invocation only and written, when it ends, as EMF lines (one per
dimension set) built by Powertools' metrics provider: on Lambda to standard output, where
CloudWatch Logs turns them into metrics; locally wherever ``emit_to`` says. Powertools'
``Metrics`` keeps one metric set per process, but the local runtime runs several handlers as
threads of one process: each invocation gets its own set here. Outside any invocation (a test
calling a service, a script) a metric has no step to belong to and is dropped.

Names, units and dimensions are declared in ``catalog``; a metric recorded with another name or
other dimensions raises. Dimensions stay low-cardinality by construction: a value that is not a
short lower-case code becomes ``other``, and no metric declares a tenant, batch or row dimension.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics

from chalicelib.observability.catalog import BY_NAME, Kind
from chalicelib.observability.correlation import current
from chalicelib.observability.formats import json_line

NAMESPACE = "BatchEnrich"
SERVICE = "batch-enrich"
_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# EMF allows 100 values of a metric a line; Powertools prints a line of its own at 100.
_MAX_VALUES = 99

_INVOCATION = ("request_id", "function_name", "function_request_id")  # no batch: a set spans several
Key = tuple[tuple[tuple[str, str], ...], str, str]  # (dimensions, name, unit)


def _key(name: str, kind: Kind, dimensions: dict[str, str]) -> Key:
    spec = BY_NAME.get(name)
    if spec is None or spec.kind != kind:
        raise ValueError(f"not a declared {kind} metric: {name!r} (chalicelib/observability/catalog.py)")
    if set(dimensions) != set(spec.dimensions):
        raise ValueError(f"{name} takes the dimensions {spec.dimensions}, not {sorted(dimensions)}")
    dims = tuple(sorted((k, v if isinstance(v, str) and _CODE.fullmatch(v) else "other")
                        for k, v in dimensions.items()))
    return dims, name, spec.unit


class Recorded:
    """One invocation's metrics: counters summed, samples (latencies, gauges) kept as values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # vendor calls record from the waterfall's threads
        self.counts: dict[Key, float] = {}
        self.samples: dict[Key, list[float]] = {}

    def add(self, key: Key, value: float, kind: Kind) -> None:
        """Add to a counter, keep a sample, or raise a gauge to ``value``."""
        with self._lock:
            if kind == "count":
                self.counts[key] = self.counts.get(key, 0.0) + value
            elif kind == "gauge":
                self.counts[key] = max(self.counts.get(key, value), value)
            else:
                self.samples.setdefault(key, []).append(value)

    def lines(self) -> list[dict[str, Any]]:
        """The EMF objects: one per dimension set (and per 100 values of a sample)."""
        by_dimensions: dict[tuple[tuple[str, str], ...], list[tuple[str, str, list[float]]]] = {}
        with self._lock:
            for (dims, name, unit), total in self.counts.items():
                by_dimensions.setdefault(dims, []).append((name, unit, [total]))
            for (dims, name, unit), values in self.samples.items():
                by_dimensions.setdefault(dims, []).append((name, unit, values))
        found = []
        for dims, metrics in sorted(by_dimensions.items()):
            for start in range(0, max(len(v) for _, _, v in metrics), _MAX_VALUES):
                emf = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
                if dims:  # per value, and the service's total (alarms cannot SEARCH the values)
                    emf.add_dimensions(**dict(dims), service=SERVICE)
                for name, unit, values in metrics:
                    for reading in values[start:start + _MAX_VALUES]:
                        emf.add_metric(name=name, unit=unit, value=reading)
                if emf.metric_set:
                    found.append(dict(emf.serialize_metric_set()))
        return found


_CURRENT: ContextVar[Recorded | None] = ContextVar("batch_enrich_metrics", default=None)


def to_stdout(line: dict[str, Any]) -> None:
    """Lambda's sink: one line on standard output (CloudWatch Logs extracts the metrics)."""
    sys.stdout.write(json_line(line) + "\n")
    sys.stdout.flush()


_sink: list[Callable[[dict[str, Any]], None] | None] = [to_stdout]


def emit_to(sink: Callable[[dict[str, Any]], None] | None) -> None:
    """Where EMF lines go (standard output on Lambda; None: nowhere)."""
    _sink[0] = sink


def _record(name: str, kind: Kind, value: float, dimensions: dict[str, str]) -> None:
    key = _key(name, kind, dimensions)  # checked even outside an invocation: tests see a typo
    recorded = _CURRENT.get()
    if recorded is not None:
        recorded.add(key, float(value), kind)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add ``value`` to a counter of the running invocation (nothing when 0)."""
    if value:
        _record(name, "count", value, dimensions)


def sample(name: str, value: float, **dimensions: str) -> None:
    """Record one value (a latency, a rate) of the running invocation."""
    _record(name, "sample", value, dimensions)


def gauge(name: str, value: float, **dimensions: str) -> None:
    """Report a level (the invocation's highest reading is written)."""
    _record(name, "gauge", value, dimensions)


@contextmanager
def measured() -> Iterator[Recorded]:
    """Record the block's metrics and write them as EMF lines when it ends (even by an error)."""
    recorded = Recorded()
    token = _CURRENT.set(recorded)
    try:
        yield recorded
    finally:
        _CURRENT.reset(token)
        sink = _sink[0]
        if sink is not None:
            ids = {key: value for key, value in current().items() if key in _INVOCATION}
            for line in recorded.lines():
                sink(line | ids)  # extra properties: Logs Insights finds the invocation's line
