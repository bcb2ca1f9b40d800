"""Counting a process's AWS requests with botocore's event hooks (the benchmark's request figures)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.settings import get_settings

# {"calls": {"service.Operation": n}, "client_cpu": {"service.Operation": seconds},
#  "balance_writes": n, "transaction_items": n}
Counts = dict[str, Any]


class RequestCounter:
    """Counts AWS requests by service and operation (before botocore builds each request), and
    the CPU the calling thread spent in each (botocore building, signing, sending, parsing; not
    the wait for the answer)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.client_cpu: defaultdict[str, float] = defaultdict(float)
        self._started = threading.local()
        self.balance_writes = 0
        self.transaction_items = 0
        self._lock = threading.Lock()
        self._tenants = get_settings().name(topology.TENANTS.name)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        self._started.cpu = (name, time.thread_time())
        with self._lock:
            self.calls[name] += 1
            if model.name == "TransactWriteItems":
                items = params.get("TransactItems", [])
                self.transaction_items += len(items)
                if any(i.get("Update", {}).get("TableName") == self._tenants for i in items):
                    self.balance_writes += 1

    def answered(self, **_: Any) -> None:
        """A request's answer is parsed (or it failed): add the thread's CPU since it began."""
        started: tuple[str, float] | None = getattr(self._started, "cpu", None)
        if started is None:
            return
        self._started.cpu = None
        name, cpu = started
        with self._lock:
            self.client_cpu[name] += time.thread_time() - cpu

    def attach(self) -> RequestCounter:
        """Count every request the process's clients make from now on; returns self."""
        clients = get_clients()
        for client in (clients.dynamodb, clients.s3, clients.sqs):
            client.meta.events.register("before-parameter-build.*.*", self)
            client.meta.events.register("after-call.*.*", self.answered)
            client.meta.events.register("after-call-error.*.*", self.answered)
        return self

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.calls.clear()
            self.client_cpu.clear()
            self.balance_writes = 0
            self.transaction_items = 0

    def snapshot(self) -> Counts:
        """The counts so far, as plain data (what a worker process reports)."""
        with self._lock:
            return {"calls": dict(self.calls), "client_cpu": dict(self.client_cpu),
                    "balance_writes": self.balance_writes,
                    "transaction_items": self.transaction_items}


def merged(snapshots: list[Counts]) -> Counts:
    """The sum of several processes' counts."""
    calls: Counter[str] = Counter()
    cpu: defaultdict[str, float] = defaultdict(float)
    for snap in snapshots:
        calls.update(snap["calls"])
        for name, seconds in snap.get("client_cpu", {}).items():
            cpu[name] += seconds
    return {"calls": dict(calls), "client_cpu": dict(cpu),
            "balance_writes": sum(s["balance_writes"] for s in snapshots),
            "transaction_items": sum(s["transaction_items"] for s in snapshots)}
