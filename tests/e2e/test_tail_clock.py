"""The bench's account of a batch's serial tail (``tail_seconds``), on the local runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.adapters.blobs import BlobStore
from chalicelib.local.datagen import write_leads
from chalicelib.local.runtime import LocalRuntime
from chalicelib.local.throughput import end_to_end
from chalicelib.services import finalize_rows, finalizing

pytestmark = pytest.mark.e2e
_PIECES = ["settled->sent", "sent->received", "received->started", "started->files_started",
           "files_started->files_written", "files_written->uploaded", "uploaded->finished"]


def test_the_tail_is_told_piece_by_piece_from_the_last_settle_to_done(tmp_path: Path) -> None:
    watched = (finalizing._write_files, finalizing._results, vars(finalize_rows)["part_bodies"],
               BlobStore.upload_file)
    runtime = LocalRuntime(work_concurrency=1, tick_seconds=3600, count_requests=True).start()
    try:
        figures = end_to_end(runtime, write_leads(tmp_path / "leads.csv", 1200))
    finally:
        runtime.stop()

    tail = figures["tail_seconds"]
    assert figures["rows"] == 1200
    assert list(tail)[:len(_PIECES)] == _PIECES  # every moment seen, in the order they happen
    assert all(tail[piece] >= -0.002 for piece in _PIECES)  # ms clocks of three processes
    # the pieces add up to the whole tail, as the batch's own items tell it
    assert sum(tail[piece] for piece in _PIECES) == pytest.approx(tail["settled->finished"], abs=0.005)
    assert 0 < tail["files_cpu"] < tail["files_started->files_written"] + 0.05
    assert tail["upload_seconds"] > 0
    # the main process's CPU told by thread (the split's mapping, finalize's, the bench's own
    # watcher in MainThread, threads gone by the end), and the watcher's own reads counted
    threads = figures["main_cpu_by_thread"]
    assert "ended" in threads and all(cpu >= 0 for cpu in threads.values())
    assert figures["watcher"]["polls"] >= 1 and figures["watcher"]["cpu_seconds"] >= 0
    # the code measured is the code that runs: everything wrapped is put back
    assert (finalizing._write_files, finalizing._results, vars(finalize_rows)["part_bodies"],
            BlobStore.upload_file) == watched
