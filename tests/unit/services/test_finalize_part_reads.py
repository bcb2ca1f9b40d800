"""finalize's files pass keeps up to 16 part reads in flight: at 100-row chunks the pass waits
on its part reads, each a small object, their cost per request rather than per byte."""

from __future__ import annotations

import threading

import pytest

from chalicelib.domain.models import BatchStatus
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import create_tenant
from tests.csvs import leads
from tests.helpers import create_batch, deliver, reload


class _Overlap:
    """Wraps a blob read: a slow store that records how many reads of part objects overlapped.

    Each read waits until ``hold`` reads are in flight at once (or ``patience`` seconds pass), so
    the count does not hang on how fast threads start on a loaded machine: a pass that keeps
    ``hold`` reads in flight reaches it at once; one that keeps fewer is caught by the count.
    """

    def __init__(self, read: object, hold: int, patience: float = 2.0) -> None:
        self._read = read
        self._hold = hold
        self._patience = patience
        self._changed = threading.Condition()
        self._running = 0
        self.most_at_once = 0

    def __call__(self, key: str) -> bytes:
        with self._changed:
            self._running += 1
            self.most_at_once = max(self.most_at_once, self._running)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self.most_at_once >= self._hold, self._patience)
        try:
            return self._read(key)  # type: ignore[operator,no-any-return]
        finally:
            with self._changed:
                self._running -= 1


def test_the_files_pass_reads_sixteen_parts_at_once(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a batch of 40 chunks, its store's reads slow
    ports.settings = ports.settings.model_copy(update={"chunk_rows": 10})
    tenant = create_tenant(ports, "Acme", 1000)
    batch = create_batch(ports, tenant.tenant_id, leads(400, matched_every=3))
    reads = _Overlap(ports.blobs.read, hold=16)
    monkeypatch.setattr(ports.blobs, "read", reads)

    # WHEN its chunks are worked and the batch finalized
    deliver(ports)

    # THEN the pass kept sixteen reads in flight, and the files are whole
    assert reload(ports, batch).status is BatchStatus.COMPLETED
    assert reads.most_at_once == 16
