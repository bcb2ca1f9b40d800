"""``batch-enrich bench --split-only``: a generated big file (1 GB by default) split in steps on
the local runtime, undisturbed and with its split process killed (SIGKILL) part-way.

Each run is a batch that came through a door other than the API (``origin`` "upload", so the
``max_rows_per_file`` limit holds), split by a fresh process (``step_probe``) polling the ingest
queue into the split handler as the local runtime does, each invocation stopping before the
function's timeout and handing over to the next. Work messages are recorded, not sent (moto's
queue would be the bottleneck, not split). The killed run's split is killed once a share of
the undisturbed run's chunks went out; a new process goes on when the message comes back. A
death between a checkpoint and its send loses those chunks' messages: they are asked again as
the tick asks them (chunks that never settled; here, never sent), from the start of the file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients
from chalicelib.domain.models import Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.local.bench import provisioned_emulator
from chalicelib.local.datagen import write_leads_of_size
from chalicelib.local.emulator import Emulator
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports
from chalicelib.services.split_steps import split_request
from chalicelib.services.tenants import create_tenant

KILL_AT = 0.4  # share of the chunks sent when the killed run's split is killed


def _probe(emulator: Emulator, batch: Batch, record: Path, resend: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chalicelib.local.step_probe", batch.tenant_id, batch.batch_id,
         str(record), *(["--resend"] if resend else [])],
        env={**os.environ, **emulator.environment()}, stdout=subprocess.PIPE, text=True)


def _figures(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate(timeout=7200)
    if process.returncode != 0:
        raise RuntimeError(f"the split probe failed ({process.returncode})")
    return dict(json.loads(out.strip().splitlines()[-1]))


def _messages(record: Path, chunks: int) -> dict[str, int]:
    sent = Counter(int(line) for line in record.read_text().split())
    return {"chunks": chunks, "messages": sum(sent.values()), "chunks_sent_twice": sum(
        1 for n in sent.values() if n > 1), "chunks_never_sent": chunks - len(set(sent) & set(range(chunks)))}


def _one_run(ports: Ports, emulator: Emulator, source: Path, folder: Path,
             kill_at: int | None) -> dict[str, Any]:
    """One batch of the file split to the end (killed once ``kill_at`` chunks were sent)."""
    tenant = create_tenant(ports, "bench", 0)
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant.tenant_id, stream, source.name, BatchOptions(), origin="upload")
    record = folder / f"{batch.batch_id}.sent"
    started = time.monotonic()
    process, probes = _probe(emulator, batch, record), []
    if kill_at is not None:
        while (ports.batches.get(tenant.tenant_id, batch.batch_id) or batch).split_sent < kill_at:
            if process.poll() is not None:
                raise RuntimeError("the split finished before it could be killed")
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = {"killed_at_seconds": round(time.monotonic() - started, 1), "killed_after_chunks": kill_at}
        process = _probe(emulator, batch, record)
    probes.append(_figures(process))
    done = ports.batches.get(tenant.tenant_id, batch.batch_id)
    assert done is not None and done.chunks_total is not None and done.total_rows is not None
    before = _messages(record, done.chunks_total)
    seconds = time.monotonic() - started
    figures: dict[str, Any] = {"seconds": round(seconds, 1), "rows": done.total_rows,
                               "rows_per_second": round(done.total_rows / seconds),
                               "steps": done.split_checkpoint.steps if done.split_checkpoint else 1,
                               **before, "probes": probes}
    if kill_at is not None:
        figures.update(killed)
    if before["chunks_never_sent"]:  # lost between a checkpoint and its send: the tick asks them
        sent = {int(line) for line in record.read_text().split()}
        missing = sorted(set(range(done.chunks_total)) - sent)
        ports.queue.send(ports.queue_name(topology.INGEST),
                         [split_request(ports.settings.bucket, batch.input_key, missing)])
        resend = _figures(_probe(emulator, batch, record, resend=True))
        figures["after_the_ticks_resend"] = {**_messages(record, done.chunks_total), "probe": resend}
    get_clients().s3.delete_object(Bucket=ports.settings.bucket, Key=batch.input_key)  # held in memory
    return figures


def run_big_split(megabytes: int, folder: Path) -> dict[str, Any]:
    """The figures of one undisturbed and one killed split of a generated file, side by side."""
    from chalicelib.services.ports import get_ports

    source = folder / f"leads-{megabytes}mb.csv"
    generated = time.monotonic()
    rows = write_leads_of_size(source, megabytes)
    try:
        with provisioned_emulator() as emulator:
            ports = get_ports()
            figures: dict[str, Any] = {
                "file_mb": round(source.stat().st_size / 2**20, 1), "rows": rows,
                "generated_seconds": round(time.monotonic() - generated, 1),
                "function_timeout": topology.INGEST.function_timeout,
                "split_reserve_seconds": ports.settings.split_reserve_seconds}
            figures["undisturbed"] = _one_run(ports, emulator, source, folder, None)
            kill_at = int(figures["undisturbed"]["chunks"] * KILL_AT)
            figures["killed"] = _one_run(ports, emulator, source, folder, kill_at)
            return figures
    finally:
        source.unlink(missing_ok=True)
