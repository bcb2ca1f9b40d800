"""Counting a process's AWS requests with botocore's event hooks (the benchmark's request figures)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.settings import get_settings

Counts = dict[str, Any]  # {"calls": {"service.Operation": n}, "balance_writes": n, "transaction_items": n}


class RequestCounter:
    """Counts AWS requests by service and operation (before botocore builds each request)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.balance_writes = 0
        self.transaction_items = 0
        self._lock = threading.Lock()
        self._tenants = get_settings().name(topology.TENANTS.name)

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.calls[name] += 1
            if model.name == "TransactWriteItems":
                items = params.get("TransactItems", [])
                self.transaction_items += len(items)
                if any(i.get("Update", {}).get("TableName") == self._tenants for i in items):
                    self.balance_writes += 1

    def attach(self) -> RequestCounter:
        """Count every request the process's clients make from now on; returns self."""
        clients = get_clients()
        for client in (clients.dynamodb, clients.s3, clients.sqs):
            client.meta.events.register("before-parameter-build.*.*", self)
        return self

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self.calls.clear()
            self.balance_writes = 0
            self.transaction_items = 0

    def snapshot(self) -> Counts:
        """The counts so far, as plain data (what a worker process reports)."""
        with self._lock:
            return {"calls": dict(self.calls), "balance_writes": self.balance_writes,
                    "transaction_items": self.transaction_items}


def merged(snapshots: list[Counts]) -> Counts:
    """The sum of several processes' counts."""
    calls: Counter[str] = Counter()
    for snap in snapshots:
        calls.update(snap["calls"])
    return {"calls": dict(calls),
            "balance_writes": sum(s["balance_writes"] for s in snapshots),
            "transaction_items": sum(s["transaction_items"] for s in snapshots)}
