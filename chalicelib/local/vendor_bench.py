"""``batch-enrich bench --vendor``: advanced-mode batches against the loopback fake vendor.

Each run starts the local runtime with a number of worker processes, configures a tenant
whose waterfall is one HTTP source at the fake vendor (its rate limit set to the vendor's),
and sends an advanced-mode batch through it. The vendor counts what it saw: calls, 429s,
the rate it was used at against its limit, calls in flight, connections opened.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chalicelib import topology
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.results import vendor_lookups
from chalicelib.local.datagen import lead_rows, write_rows
from chalicelib.local.fake_vendor import FakeVendor
from chalicelib.local.runtime import LocalRuntime
from chalicelib.local.workers import WorkerProcess
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports, get_ports
from chalicelib.services.sources import configure
from chalicelib.services.tenants import create_tenant
from chalicelib.sources.spec import TenantConfig

VENDOR_PORT = 8160  # the vendor bench's port range is 8160-8169
EMAIL_COLUMN = 3


def vendor_leads(path: Path, rows: int, repeat_share: float, seed: int = 11) -> Path:
    """A leads file in which ``repeat_share`` of the rows repeat an earlier row's email."""
    values = lead_rows(rows)
    rng = random.Random(seed)
    for n in range(1, rows):
        if rng.random() < repeat_share:
            values[n][EMAIL_COLUMN] = values[rng.randrange(n)][EMAIL_COLUMN]
    return write_rows(path, values)


def vendor_source(url: str, limit: float, max_in_flight: int | None = None) -> dict[str, Any]:
    """The tenant's one waterfall step: a person API looked up by email, at the vendor's limit."""
    config: dict[str, Any] = {
        "name": "people", "url": url, "query": {"email": "email"}, "requires": ["email"],
        "price": 2, "rate_limit_per_second": limit,
        "outputs": {"title": "person.title", "seniority": "person.seniority",
                    "linkedin": "person.linkedin"}}
    if max_in_flight is not None:
        config["max_in_flight"] = max_in_flight
    return {"type": "http", "config": config}


def _finished(ports: Ports, batch: Batch) -> Batch:
    started = time.perf_counter()
    while True:
        current = ports.batches.get(batch.tenant_id, batch.batch_id)
        if current is not None and current.finished_at is not None:
            return current
        time.sleep(min(0.5, max(0.05, (time.perf_counter() - started) / 50)))


def one_batch(ports: Ports, vendor: FakeVendor, tenant_id: str, source: Path,
              workers: Sequence[WorkerProcess] = ()) -> dict[str, Any]:
    """One advanced-mode batch of ``source``, upload to results, with the vendor's figures and
    the work invocations' (how long they ran against the timeout; parts handed on for time)."""
    vendor.reset()
    for worker in workers:
        worker.reset_counts()
    started = time.perf_counter()
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant_id, stream, source.name, BatchOptions(mode="advanced"))
    done = _finished(ports, batch)
    seconds = time.perf_counter() - started
    counts = done.counts
    return {"seconds": round(seconds, 2), "rows": done.total_rows,
            "rows_by_status": {"completed": counts.completed, "not_found": counts.not_found,
                               "failed": counts.failed, "skipped": counts.skipped},
            "credits_spent": done.credits_spent, "lookups": vendor_lookups(done.lookups),
            "vendor": vendor.stats.to_json(vendor.limit),
            "work_invocations": _invocations(ports, done, workers)}


def _invocations(ports: Ports, batch: Batch, workers: Sequence[WorkerProcess]) -> dict[str, Any]:
    timings = [worker.timings() for worker in workers]
    parts = [len(chunk.parts) for chunk in ports.batches.chunks(batch.batch_id)]
    return {"count": sum(t["invocations"] for t in timings),
            "longest_seconds": round(max((t["longest_seconds"] for t in timings), default=0.0), 2),
            "over_timeout": sum(t["over_timeout"] for t in timings),
            "timeout_seconds": topology.ADVANCED_WORK.function_timeout,
            "parts_handed_on": sum(parts) - len(parts),
            "slots": {name: round(sum(t["slots"][name] for t in timings), 3)
                      for name in (timings[0]["slots"] if timings else {})}}


def run_vendor_bench(latencies: list[float], workers: list[int], rows: int, limit: float,
                     repeat_share: float, again: bool, folder: Path,
                     port: int = VENDOR_PORT,
                     in_flight: Sequence[int | None] = (None,)) -> list[dict[str, Any]]:
    """Figures for every worker count, latency and source ``max_in_flight`` (None: its default;
    1: one call at a time per worker, as before concurrent calls), side by side in one run."""
    os.environ["BATCH_ENRICH_OUTBOUND_ALLOW_LOOPBACK"] = "true"  # the vendor is on this machine
    os.environ["BATCH_ENRICH_MAX_ROWS_PER_BATCH"] = str(rows + 1)
    source = vendor_leads(folder / f"vendor-leads-{rows}.csv", rows, repeat_share)
    vendor = FakeVendor(port, limit=limit).start()
    figures = []
    try:
        for count in workers:
            runtime = LocalRuntime(work_concurrency=count, tick_seconds=3600).start()
            try:
                for worker in runtime.workers:  # answers once it polls: start-up is not measured
                    worker.counts()
                ports = get_ports()
                for latency, width in itertools.product(latencies, in_flight):
                    vendor.reset(latency=latency)
                    tenant = create_tenant(ports, "vendor-bench", 10**9)
                    configure(ports, tenant.tenant_id, TenantConfig.model_validate(
                        {"sources": [vendor_source(vendor.url, limit, width)]}))
                    figure: dict[str, Any] = {"workers": count, "latency_ms": round(latency * 1000),
                                              "max_in_flight": width or "default",
                                              "repeat_share": repeat_share,
                                              **one_batch(ports, vendor, tenant.tenant_id, source,
                                                          runtime.workers)}
                    if again:  # the identical file again, for the same tenant
                        figure["second_batch"] = one_batch(ports, vendor, tenant.tenant_id, source,
                                                           runtime.workers)
                    figures.append(figure)
            finally:
                runtime.stop()
    finally:
        vendor.stop()
    return figures
