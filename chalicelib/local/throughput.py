"""Benchmark figures of a whole batch on the local runtime: speed, AWS requests, balance writes."""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from chalicelib import topology
from chalicelib.adapters.batches import BatchStore
from chalicelib.clients import Clients
from chalicelib.domain.csvinput import open_csv
from chalicelib.domain.enrich import memo
from chalicelib.domain.enrich.phone import keep_patterns, patterns_kept, region_for_country
from chalicelib.domain.enrich.pipeline import built_in_pipeline
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.records import canonical_record
from chalicelib.domain.upload import read_layout
from chalicelib.handlers.heap import PYTHON_DEFAULTS
from chalicelib.local.datagen import write_leads
from chalicelib.local.emulator_costs import read_costs, reset_costs
from chalicelib.local.runtime import LocalRuntime
from chalicelib.local.tail_clock import TailClock, tail_figures
from chalicelib.services.batches import start_batch
from chalicelib.services.phone_data import phone_names
from chalicelib.services.ports import get_ports
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import get_settings


@contextmanager
def python_defaults() -> Iterator[None]:
    """Run a block with CPython's default collector thresholds and phonenumbers' default (each
    pattern asked of the re module at each use): a script as a user writes it, whatever the
    service's functions imported in this process set; then put back the process's."""
    kept, patterns = gc.get_threshold(), patterns_kept()
    gc.set_threshold(*PYTHON_DEFAULTS)
    keep_patterns(False)
    try:
        yield
    finally:
        gc.set_threshold(*kept)
        keep_patterns(patterns)


def plain_loop_seconds(source: Path, clock: Callable[[], float] = time.perf_counter) -> float:
    """The same enrichers over the same rows, in a loop in this process (the floor); their
    memos start empty, as in a fresh worker; the collector as a script has it. ``clock``: wall
    time, or a CPU clock."""
    with python_defaults():
        return _loop_seconds(source, clock)


def _loop_seconds(source: Path, clock: Callable[[], float]) -> float:
    memo.clear()
    table = open_csv(source.open("rb"))
    layout, rows = read_layout(table, {}, lambda _: None, None)
    fields = dict(layout.mapping.fields)
    # the phone names the workers read too (services/phone_data.py): the same enrichers
    pipeline = built_in_pipeline(layout.entity_type, "US", frozenset(fields), layout.platform,
                                 phone_names(get_settings().cache_dir))
    values = list(rows)
    started = clock()
    for index, row in enumerate(values):
        if canonical_record(row, fields):
            pipeline.enrich_row(ChunkRow(i=index, v=row), fields)
    return clock() - started


def lean_loop_seconds(source: Path) -> float:
    """Only email and phone validation over the same rows, in a loop: the floor of a script that
    does the least a user would call enrichment (so a ratio cannot improve by a slower loop)."""
    from email_validator import EmailNotValidError, validate_email
    from phonenumbers import NumberParseException, is_valid_number, parse

    table = open_csv(source.open("rb"))
    layout, rows = read_layout(table, {}, lambda _: None, None)
    fields = dict(layout.mapping.fields)
    records = [canonical_record(row, fields) for row in rows]
    with python_defaults():
        started = time.perf_counter()
        for record in records:
            if email := (record.get("email") or "").strip():
                with suppress(EmailNotValidError):
                    validate_email(email, check_deliverability=False)
            if phone := (record.get("phone") or "").strip():
                with suppress(NumberParseException):
                    is_valid_number(parse(phone, region_for_country(record.get("country")) or "US"))
        return time.perf_counter() - started


def end_to_end(runtime: LocalRuntime, source: Path) -> dict[str, Any]:
    """Upload to completed results through the local runtime; requests counted on the way."""
    ports = get_ports()
    tenant = create_tenant(ports, "bench", 10**9)
    # The bench watches through a client of its own: its reads are not the pipeline's requests.
    own = Clients(ports.settings).dynamodb
    watcher = BatchStore(own, *(ports.settings.name(table.name)
                                for table in (topology.BATCHES, topology.CHUNKS, topology.TENANTS)))
    runtime.reset_request_counts()
    reset_costs(runtime.emulator.endpoint)
    cpu_before = process_cpu(runtime)
    threads_before = thread_cpu()
    tail = TailClock()
    with tail.watching(runtime):
        wall, started = time.time(), time.perf_counter()
        with source.open("rb") as stream:
            batch = start_batch(ports, tenant.tenant_id, stream, source.name, BatchOptions())
        current, phases, watching = _watch(watcher, batch, started)
    seconds = time.perf_counter() - started
    cpu = {role: round(spent - cpu_before.get(role, 0.0), 2) for role, spent in process_cpu(runtime).items()}
    threads = _by_thread(threads_before, thread_cpu(), cpu["main"])
    while not runtime.idle():  # the last deletes of finished invocations are counted too
        time.sleep(0.1)
    counts = runtime.request_counts()
    calls: dict[str, int] = counts["calls"]
    emulator = read_costs(runtime.emulator.endpoint)  # by operation, inside moto and outside
    client_ms = {op: round(1000 * cpu / calls[op], 3) for op, cpu in sorted(counts["client_cpu"].items())
                 if calls.get(op)}
    runtime.reset_request_counts()
    ports.batches.get(batch.tenant_id, batch.batch_id)  # what one status read costs
    status_reads = sum(n for op, n in runtime.request_counts()["calls"].items()
                       if op.startswith("dynamodb."))  # the workers' idle polls are not the status
    rows = current.total_rows or 0
    counts_by_status = {"completed": current.counts.completed, "not_found": current.counts.not_found,
                        "failed": current.counts.failed, "skipped": current.counts.skipped}
    return {"rows": rows, "rows_by_status": counts_by_status, "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds, 1),
            "requests": calls, "requests_per_1000_rows": {k: round(v * 1000 / rows, 2)
                                                          for k, v in sorted(calls.items())},
            "balance_writes": counts["balance_writes"],
            "balance_writes_per_row": round(counts["balance_writes"] / rows, 4),
            "cost_per_million_rows_usd": cost_per_million(calls, counts["transaction_items"], rows),
            "status_dynamodb_reads": status_reads, "cpu_seconds": cpu,
            "main_cpu_by_thread": threads, "watcher": watching, "phases_seconds": phases,
            "emulator_cpu": emulator, "client_cpu_ms_each": client_ms,
            "tail_seconds": tail_figures(tail, own, current, wall, phases)}


def _watch(watcher: BatchStore, batch: Batch,
           started: float) -> tuple[Batch, dict[str, float], dict[str, float]]:
    """Read the batch until it finished; it then, when each phase was first seen, and the reads'
    count and CPU (the bench's own: the main process's CPU holds them)."""
    phases: dict[str, float] = {}  # when the watcher first saw each: split, worked, done
    polls, cpu = 0, time.thread_time()
    while True:
        current = watcher.get(batch.tenant_id, batch.batch_id)
        polls += 1
        if current is not None:
            _phases(phases, current, time.perf_counter() - started)
        if current is not None and current.finished_at is not None:
            # the bench's own reads (in the main process's CPU, and GetItems of the emulator's)
            return current, phases, {"polls": polls, "cpu_seconds": round(time.thread_time() - cpu, 3)}
        # polls at most 2% of the time so far apart: the watcher's reads load the emulator too
        time.sleep(min(0.5, max(0.05, (time.perf_counter() - started) / 50)))


def _phases(phases: dict[str, float], batch: Batch, seconds: float) -> None:
    """Note when a batch's split had sent every chunk (``split``), its last chunk settled
    (``worked``: finalize's message goes out) and it finished (``done``), each first seen by a
    watcher polling at most 2% of the time so far apart (so within ~2% of the true moment)."""
    seen = {"split": batch.chunks_total is not None, "worked": batch.all_chunks_done,
            "done": batch.finished_at is not None}
    for phase, happened in seen.items():
        if happened:
            phases.setdefault(phase, round(seconds, 2))


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc; 0 where there is none)."""
    return _stat_cpu(Path(f"/proc/{pid}/stat"))


def _stat_cpu(stat: Path) -> float:
    """User + system CPU seconds of a process's or a thread's ``stat`` file (0 if it is gone)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by each living thread of this process, by name (Linux /proc):
    a number of the same name (a pool's threads) summed under the name without its number."""
    names = {thread.native_id: thread.name for thread in threading.enumerate()}
    spent: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        name = re.sub(r"[-_]\d+(_\d+)?$", "", names.get(int(task.name), "other"))
        spent[name] = spent.get(name, 0.0) + _stat_cpu(task / "stat")
    return spent


def _by_thread(before: dict[str, float], after: dict[str, float], main: float) -> dict[str, float]:
    """Each thread's CPU during the batch (the bench's own watcher is MainThread's), and what
    threads that ended during it spent (``ended``: the main process's figure less the others;
    approximate where a name's threads both ended and began during the batch)."""
    spent = {name: round(cpu - before.get(name, 0.0), 2) for name, cpu in sorted(after.items())}
    spent = {name: cpu for name, cpu in spent.items() if cpu > 0}
    spent["ended"] = round(max(0.0, main - sum(spent.values())), 2)
    return spent


def process_cpu(runtime: LocalRuntime) -> dict[str, float]:
    """CPU seconds used so far by this process (split, finalize, the bench), the emulator, the workers."""
    workers = sum(_cpu_of(w.pid) for w in runtime.workers if w.pid is not None)
    emulator = runtime.emulator.pid
    return {"main": _cpu_of(os.getpid()), "emulator": _cpu_of(emulator) if emulator else 0.0,
            "workers": workers}


def run_throughput(sizes: list[int], folder: Path, workers: int,
                   chunk_rows: int | None = None) -> list[dict[str, Any]]:
    """End-to-end and plain-loop figures for each size, side by side in one run."""
    # Every row of the largest batch is enriched (the default limit per batch is 50,000).
    os.environ["BATCH_ENRICH_MAX_ROWS_PER_BATCH"] = str(max(sizes, default=0) + 1)
    if chunk_rows:
        os.environ["BATCH_ENRICH_CHUNK_ROWS"] = str(chunk_rows)
    runtime = LocalRuntime(work_concurrency=workers, tick_seconds=3600, count_requests=True).start()
    figures = []
    try:
        for size in sizes:
            source = write_leads(folder / f"leads-{size}.csv", size)
            before = plain_loop_seconds(source)
            flow = end_to_end(runtime, source)
            after = plain_loop_seconds(source)
            # The shared machine's load drifts: the loop runs before and after, the faster counts
            # (a faster floor can only make the ratio look worse).
            loop = min(before, after)
            flow["plain_loop_seconds"] = round(loop, 2)
            flow["plain_loop_runs"] = [round(before, 2), round(after, 2)]
            flow["overhead_ratio"] = round(flow["seconds"] / loop, 2)
            # Against the least a script would do (email and phone validation only): a ratio
            # that cannot improve by making the enrichers' loop slower.
            lean = lean_loop_seconds(source)
            flow["lean_loop_seconds"] = round(lean, 2)
            flow["lean_ratio"] = round(flow["seconds"] / lean, 2)
            flow["chunk_rows"] = get_settings().chunk_rows
            figures.append(flow)
    finally:
        runtime.stop()
    return figures


# List prices (us-east-1, on-demand), USD: SQS per request (64 KB), DynamoDB per write/read
# request unit, S3 per PUT/LIST and per GET.
PRICES = {"sqs": 0.40e-6, "wru": 0.625e-6, "rru": 0.125e-6, "s3_put": 0.005e-3, "s3_get": 0.0004e-3}


def cost_per_million(calls: dict[str, int], transaction_items: int, rows: int) -> dict[str, float]:
    """AWS cost of a million rows at list prices, from the requests counted (items ≤ 1 KB).

    A transaction costs 2 write units per item; a consistent read one read unit per 4 KB item
    (a Query or Scan page is counted as one). Lambda compute is left out (the same enrichers
    run in either design). The naive design is one SQS message and one transaction of the same
    four items per row, and the same S3 objects.
    """
    sqs = sum(v for k, v in calls.items() if k.startswith("sqs."))
    writes = sum(v for k, v in calls.items() if k in ("dynamodb.PutItem", "dynamodb.UpdateItem",
                                                      "dynamodb.DeleteItem"))
    reads = sum(v for k, v in calls.items() if k in ("dynamodb.GetItem", "dynamodb.Query",
                                                     "dynamodb.Scan"))
    puts = sum(v for k, v in calls.items() if k in ("s3.PutObject", "s3.ListObjectsV2",
                                                    "s3.CreateMultipartUpload", "s3.UploadPart"))
    gets = sum(v for k, v in calls.items() if k in ("s3.GetObject", "s3.HeadObject"))
    ours = (sqs * PRICES["sqs"] + (writes + 2 * transaction_items) * PRICES["wru"]
            + reads * PRICES["rru"] + puts * PRICES["s3_put"] + gets * PRICES["s3_get"])
    # naive: per row a send, a receive and a delete, a 4-item transaction, and the reads
    # the worker makes (batch and tenant) instead of per chunk
    naive = rows * (3 * PRICES["sqs"] + 8 * PRICES["wru"] + 2 * PRICES["rru"]) \
        + puts * PRICES["s3_put"] + gets * PRICES["s3_get"]
    scale = 1_000_000 / rows
    return {"ours": round(ours * scale, 2), "naive": round(naive * scale, 2),
            "naive_over_ours": round(naive / ours, 1) if ours else 0.0}
