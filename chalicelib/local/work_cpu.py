"""``batch-enrich bench --work-cpu``: where a batch's CPU goes outside the enrichers, in one process.

Split, work and finalize run as Lambda runs them (``app.split``, ``app.work`` four records at a
time as the work queue's mapping delivers them, ``app.finalize``: middleware included) on the test suite's
in-memory fakes (``tests/fakes``: no emulator, no botocore, no network), so the figures are the
service's own CPU and hardly move with the machine's load: CPU microseconds a row for each step,
and inside work for each stage (``WORK_STAGES``), beside the plain loop's over the same rows.
Run it from a checkout of the repository (the fakes live in its tests).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib import topology
from chalicelib.domain.enrich import memo
from chalicelib.domain.finalize_checkpoint import SurveyedHeader
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.keys import results_key
from chalicelib.local.datagen import write_leads
from chalicelib.local.eventsource import LambdaContext, sqs_event
from chalicelib.local.stopwatch import Stopwatch
from chalicelib.local.throughput import plain_loop_seconds
from chalicelib.observability.tracing import tracer
from chalicelib.services.batches import start_batch
from chalicelib.services.finalize_rows import RowRange
from chalicelib.services.finalize_survey import surveyed
from chalicelib.services.input_rows import InputRows
from chalicelib.services.ports import Clock, Ports, use_ports
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import Settings

# Inside work, what each stage is (exclusive of the stages inside it: part JSON without rendering).
WORK_STAGES = ("parse", "models", "enrichers", "rendering", "part_json", "store", "settle", "other")


def fake_ports(settings: Settings) -> Ports:
    """The test suite's in-memory fakes behind every port (from the checkout this module is in)."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    from tests.fakes import fake_ports as wired

    return wired(settings, Clock(sleep=lambda _: None))


def _drain(ports: Ports, spec: topology.QueueSpec) -> int:
    """Deliver a queue's messages to its function in ``app``, ``spec.batch_size`` at a time, until
    it is empty (a failed record is an error here: the bench measures a batch that goes through)."""
    import app

    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(app, spec.handler)
    name, delivered = ports.queue_name(spec), 0
    while received := ports.queue.receive(name, spec.visibility_timeout, spec.batch_size):
        messages = [{"MessageId": m.receipt, "ReceiptHandle": m.receipt, "Body": m.body}
                    for m in received]
        event = sqs_event(messages, f"arn:aws:sqs:us-east-1:000000000000:{name}", "us-east-1")
        answer = handler(event, LambdaContext(spec.handler))
        if answer.get("batchItemFailures"):
            raise RuntimeError(f"{spec.name}: records failed: {answer['batchItemFailures']}")
        ports.queue.delete(name, [m.receipt for m in received])
        delivered += len(received)
    return delivered


def _work_places(ports: Ports) -> dict[str, tuple[object, str]]:
    from chalicelib.domain import parts
    from chalicelib.domain.enrich.pipeline import Pipeline
    from chalicelib.handlers import work_events
    from chalicelib.services import working

    return {"parse": (work_events, "_messages"),
            "models": (working, "load_part"), "enrichers": (Pipeline, "enrich_until"),
            "rendering": (parts, "render_rows"), "part_body": (working, "rendered_body"),
            "store": (ports.blobs, "put"), "settle": (ports.settlement, "settle")}


def _work_stages(seconds: dict[str, float], work: float) -> dict[str, float]:
    """The stages' exclusive seconds (``WORK_STAGES``) from the watched functions' inclusive ones
    and the work step's CPU (``other``: the rest of it)."""
    stages = {name: seconds.get(name, 0.0) for name in ("parse", "models", "enrichers", "rendering",
                                                          "store", "settle")}
    stages["part_json"] = seconds.get("part_body", 0.0) - stages["rendering"]
    stages["other"] = work - sum(stages.values())
    return stages


def run_work_cpu(rows: int, folder: Path, chunk_rows: int | None = None) -> dict[str, Any]:
    """One batch of ``rows`` generated rows through split, work and finalize in this process."""
    for module in ("app", *(f"chalicelib.handlers.{step}_events" for step in ("split", "work", "finalize"))):
        importlib.import_module(module)  # a cold start's cost (bench --cold-start), not a row's
    tracer()  # built on a sandbox's first invocation (~0.4 s of CPU, tracing off or on): not a row's
    source = write_leads(folder / f"leads-{rows}.csv", rows)
    lifted = Settings(max_rows_per_batch=rows + 1)
    settings = lifted.model_copy(update={"chunk_rows": chunk_rows}) if chunk_rows else lifted
    ports = fake_ports(settings)
    use_ports(ports)
    loop_before = plain_loop_seconds(source, time.process_time)
    tenant = create_tenant(ports, "bench", 10**9)
    cpu: dict[str, float] = {}
    watch = Stopwatch()
    started = time.process_time()
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant.tenant_id, stream, source.name, BatchOptions())
    _drain(ports, topology.INGEST)
    cpu["split"] = time.process_time() - started
    memo.clear()  # as in a fresh worker
    started = time.process_time()
    with watch.watching(_work_places(ports)):
        _drain(ports, topology.WORK)
    cpu["work"] = time.process_time() - started
    started = time.process_time()
    _drain(ports, topology.FINALIZE)
    cpu["finalize"] = time.process_time() - started
    loop = min(loop_before, plain_loop_seconds(source, time.process_time))
    done = ports.batches.get(batch.tenant_id, batch.batch_id)
    assert done is not None and done.finished_at is not None, "the batch did not finish"
    figures = _figures(rows, done.chunks_total or 0, cpu, _work_stages(dict(watch.seconds), cpu["work"]),
                       loop, {"status": done.status.value, "completed": done.counts.completed,
                              "not_found": done.counts.not_found, "failed": done.counts.failed,
                              "skipped": done.counts.skipped, "chunk_rows": settings.chunk_rows,
                              "files_sha256": _digests(ports, done)})
    figures["finalize_reads_us_per_row"] = _finalize_reads(ports, done)
    return figures


def _finalize_reads(ports: Ports, batch: Batch) -> dict[str, float]:
    """What a finalize step costs a row beyond writing it, on the same batch: a survey step's
    reading of the rows (for a batch whose header was not recorded), and reading and classifying
    the input file's rows (a stopped batch's step reads the file from its start)."""
    rows = batch.total_rows or 1
    started = time.process_time()
    surveyed(RowRange(ports, batch, ports.batches.chunks(batch.batch_id), 0, tail=True), SurveyedHeader())
    survey = time.process_time() - started
    started = time.process_time()
    for _ in InputRows(ports, batch).between(rows, rows):
        pass
    read = time.process_time() - started
    return {"survey": round(survey / rows * 1e6, 1), "input_rows": round(read / rows * 1e6, 1)}


def _digests(ports: Ports, batch: Batch) -> dict[str, str]:
    """The results files that name no batch id (credits.csv's ledger entries and summary.json do),
    by digest: two trees' runs over the same file must write the same bytes."""
    return {name: hashlib.sha256(ports.blobs.read(results_key(batch, name))).hexdigest()[:16]
            for name in ("results.csv", "rows.jsonl", "errors.csv")}


def _figures(rows: int, chunks: int, cpu: dict[str, float], stages: dict[str, float], loop: float,
             batch: dict[str, Any]) -> dict[str, Any]:
    def us(seconds: float) -> float:
        return round(seconds / rows * 1e6, 1)

    enrichers = stages["enrichers"]
    outside = sum(cpu.values()) - enrichers
    return {"rows": rows, "chunks": chunks, "batch": batch, "load_average": list(os.getloadavg()),
            "cpu_us_per_row": {step: us(spent) for step, spent in cpu.items()},
            "work_us_per_row": {stage: us(stages[stage]) for stage in WORK_STAGES},
            "plain_loop_us_per_row": us(loop),
            "outside_enrichers_us_per_row": us(outside),
            "outside_over_enrichers": round(outside / enrichers, 3) if enrichers else None,
            "total_over_plain_loop": round(sum(cpu.values()) / loop, 3) if loop else None}
