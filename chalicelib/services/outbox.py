"""The drop folder's answers in ``outbox/``: ``NAME.status.json`` at every status change and, once
the batch has results, ``NAME.enriched.csv``, ``NAME.credits.csv`` and ``NAME.errors.csv``.

The status file is written after each status write of a dropped batch: at the drop, by split
(queued), by the first settlement (processing), by resume, and for the statuses a customer hears
about (paused, completed, failed, cancelled) by the deliver function's fan-out, which the
status write's mark guarantees (``services/announcing.py``): a lost one is redone by the tick.
The results files are copied before the status file says ``completed``.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.models import Batch
from chalicelib.domain.status import status_body
from chalicelib.keys import results_key
from chalicelib.services.ports import Ports

# results file -> the suffix of its copy beside the dropped file's name
COPIES = {"results.csv": ".enriched.csv", "credits.csv": ".credits.csv", "errors.csv": ".errors.csv"}


def status_key(base: str) -> str:
    """The status file of a dropped file (``base``: ``keys.outbox_base``)."""
    return f"{base}.status.json"


def write_refusal(ports: Ports, base: str, source: str, why: str) -> None:
    """The status file of a dropped file that started no batch: why, and what to do."""
    body = {"status": "failed", "batch_id": None, "input": source, "message": why,
            "updated_at": ports.clock.now()}
    _put(ports, status_key(base), body)


def note_status(ports: Ports, batch: Batch | None) -> None:
    """After a status write of a dropped batch: its status file says what the batch says now."""
    if batch is None or batch.outbox is None:
        return
    body: dict[str, Any] = {**status_body(batch), "updated_at": batch.updated_at, "files": None}
    if batch.has_results and batch.finished_at is not None:
        for name, suffix in COPIES.items():
            source = results_key(batch, name)
            if ports.blobs.exists(source):
                ports.blobs.copy(source, batch.outbox + suffix)
        body["files"] = {name.split(".")[0]: batch.outbox + suffix for name, suffix in COPIES.items()}
    body["results"] = None  # the API's links need a key; the files above are the drop folder's
    _put(ports, status_key(batch.outbox), body)


def publish(ports: Ports, tenant_id: str, batch_id: str | None) -> None:
    """The fan-out's part for a dropped batch: its files and status as they are now."""
    if batch_id is not None:
        note_status(ports, ports.batches.get(tenant_id, batch_id))


def _put(ports: Ports, key: str, body: dict[str, Any]) -> None:
    ports.blobs.put(key, json.dumps(body, indent=2, ensure_ascii=False).encode(), "application/json")
