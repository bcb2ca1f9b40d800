"""``batch-enrich run FILE``: one file through the whole local pipeline, with a progress bar.

The file is read first as the API reads it: one the API would refuse ends at once with the
API's message (exit 2). The watch never waits for ever (``local/watch.py``: exit 1, saying
what is stuck); an emulator that dies ends the run in one line (exit 4).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain.errors import DomainError
from chalicelib.domain.models import PAUSED_STATUSES, Batch
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.status import status_body
from chalicelib.domain.upload import check_file
from chalicelib.keys import results_key
from chalicelib.local.emulator import EmulatorFailed
from chalicelib.local.runtime import LocalRuntime
from chalicelib.local.watch import Watched, watch
from chalicelib.services.batches import start_batch
from chalicelib.services.intake import take_in
from chalicelib.services.ports import Ports, get_ports
from chalicelib.services.tenants import create_tenant
from chalicelib.settings import get_settings


def run_file(args: argparse.Namespace) -> int:
    """Enrich one file end to end; exit 0 only when the batch completed."""
    source: Path = args.input
    if not source.is_file():
        print(f"batch-enrich: no such file: {source}", file=sys.stderr)
        return 2
    out = args.out or source.with_name(f"{source.stem}.enriched.csv")
    try:  # the file's own checks first, before anything starts
        with source.open("rb") as stream:
            check_file(stream, {}, lambda _: None, None, {}, get_settings().max_rows_per_batch)
    except DomainError as refused:
        return _refused(source, refused)
    runtime = LocalRuntime(work_concurrency=args.workers)
    try:
        runtime.start()
        watched = _run_batch(args, runtime, source, out)
    except DomainError as refused:  # the account's checks (advanced mode needs sources)
        return _refused(source, refused)
    except EmulatorFailed as died:
        return _died(died)
    except (BotoCoreError, ClientError):  # a request the dying emulator never answered
        try:
            runtime.check(grace=2.0)
        except EmulatorFailed as died:
            return _died(died)
        raise
    finally:
        runtime.stop()
    return _report(watched, out)


def _refused(source: Path, refused: DomainError) -> int:
    print(f"batch-enrich: {source} was refused: {refused.message}", file=sys.stderr)
    return 2


def _died(failure: EmulatorFailed) -> int:
    """One line on what died; exit code 4."""
    print(f"batch-enrich: {failure}; the run cannot go on (its data lived there): run it again.",
          file=sys.stderr)
    return 4


def _run_batch(args: argparse.Namespace, runtime: LocalRuntime, source: Path, out: Path) -> Watched:
    """Create the local tenant and the batch, watch it to its end, write the files asked for."""
    ports = get_ports()
    credits = args.credits if args.credits is not None else _enough_credits(ports, source)
    tenant = create_tenant(ports, "local", credits)
    options = BatchOptions(name=source.name, mode=args.mode)
    with source.open("rb") as stream:  # as the API checks it (raises what it would answer)
        intake = take_in(ports, tenant.tenant_id, stream, options)
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant.tenant_id, stream, source.name, options, intake.layout)
    watched = _watch(ports, runtime, batch, args.quiet, args.stall_seconds)
    batch = watched.batch
    if batch.has_results:
        out.write_bytes(ports.blobs.read(results_key(batch, "results.csv")))
    if args.summary_json:
        body = status_body(batch) | {"results_file": str(out) if batch.has_results else None,
                                      "credits_start": credits, "stuck": watched.stuck}
        args.summary_json.write_text(json.dumps(body, indent=2) + "\n")
    return watched


def _enough_credits(ports: Ports, source: Path) -> int:
    """A balance that covers every row at the highest price (lines bound rows from above)."""
    with source.open("rb") as stream:
        lines = sum(block.count(b"\n") for block in iter(lambda: stream.read(1 << 20), b""))
    return (lines + 1) * max(ports.settings.price_basic, ports.settings.price_advanced)


def _watch(ports: Ports, runtime: LocalRuntime, batch: Batch, quiet: bool,
           stall_seconds: float) -> Watched:
    """Watch the batch with a progress bar until it has an outcome or is stuck."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed}/{task.total} rows"), TimeElapsedColumn())
    with Progress(*columns, disable=quiet, transient=False) as progress:
        task = progress.add_task(f"enriching {batch.name}", total=None)

        def show(current: Batch) -> None:
            done = current.counts.settled + current.counts.parked
            progress.update(task, total=current.total_rows, completed=done,
                            description=f"{current.status.value:>12}")

        return watch(ports, runtime, batch, show, stall_seconds)


def _report(watched: Watched, out: Path) -> int:
    batch, counts = watched.batch, watched.batch.counts
    if batch.finished_at is not None and batch.status.value == "completed":
        print(f"{batch.status.value}: {counts.completed} matched, {counts.not_found} not found, "
              f"{counts.failed} failed, {counts.skipped} skipped; {batch.credits_spent} credits")
        print(f"results: {out}")
        return 0
    if watched.stuck:
        print(f"batch-enrich: batch {batch.batch_id} is stuck: {watched.stuck}", file=sys.stderr)
        return 1
    print(f"batch-enrich: batch {batch.batch_id} ended {batch.status.value}: "
          f"{batch.message or 'no results'} ({counts.parked} rows parked, "
          f"{batch.credits_spent} credits spent)", file=sys.stderr)
    return 3 if batch.status in PAUSED_STATUSES else 1
