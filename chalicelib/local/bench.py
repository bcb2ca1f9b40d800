"""``batch-enrich bench``: the project's benchmark. Figures are measured side by side in one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.domain.options import BatchOptions
from chalicelib.local.datagen import write_leads_of_size
from chalicelib.local.emulator import Emulator
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant


def split_memory(ports: Ports, emulator: Emulator, folder: Path, megabytes: int) -> dict[str, Any]:
    """Peak memory of split on a generated file of ``megabytes`` MB, in a fresh process."""
    source = folder / f"leads-{megabytes}mb.csv"
    rows = write_leads_of_size(source, megabytes)
    tenant = create_tenant(ports, "bench", 0)
    with source.open("rb") as stream:
        batch = start_batch(ports, tenant.tenant_id, stream, source.name, BatchOptions())
    etag = str(ports.blobs.head(batch.input_key)["ETag"])
    env = {**os.environ, **emulator.environment(),
           "BATCH_ENRICH_MAX_ROWS_PER_BATCH": str(rows + 1)}
    probe = subprocess.run(
        [sys.executable, "-m", "chalicelib.local.split_probe", ports.settings.bucket,
         batch.input_key, etag], env=env, capture_output=True, text=True, check=True, timeout=1800,
    )
    figures: dict[str, Any] = json.loads(probe.stdout.strip().splitlines()[-1])
    size = source.stat().st_size
    source.unlink()
    return {"file_mb": round(size / 2**20, 1), "rows": rows, **figures,
            "split_mb": round(figures["peak_mb"] - figures["baseline_mb"], 1)}


@contextmanager
def provisioned_emulator() -> Iterator[Emulator]:
    """An embedded emulator with every declared resource, this process's clients pointed at it."""
    from chalicelib.clients import get_clients, reset_clients
    from chalicelib.local.provision import provision
    from chalicelib.services.ports import reset_ports
    from chalicelib.settings import get_settings

    emulator = Emulator().start()
    os.environ.update(emulator.environment())
    reset_clients()
    reset_ports()
    provision(get_clients(), get_settings())
    try:
        yield emulator
    finally:
        emulator.stop()


def run_split_memory(sizes: list[int]) -> list[dict[str, Any]]:
    """The split-memory figures for each file size, on one emulator."""
    from chalicelib.services.ports import get_ports

    with provisioned_emulator() as emulator, tempfile.TemporaryDirectory() as folder:
        return [split_memory(get_ports(), emulator, Path(folder), size) for size in sizes]
