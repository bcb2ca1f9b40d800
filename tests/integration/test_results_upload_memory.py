"""finalize's five results files go to S3 side by side without holding their parts in memory.

A million-row batch writes ~1.5 GB of results files; boto3's ``upload_fileobj`` keeps up to ten
8 MB parts of each upload in memory (five files: ~400 MB of the finalize function's 1,024 MB),
``upload_file`` reads each part from disk as it is sent.
"""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib.adapters.blobs import BlobStore
from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator

FILES, MEGABYTES = 5, 17  # three multipart parts each (8 + 8 + 1 MB)


@pytest.fixture
def blobs(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> BlobStore:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    s3 = get_clients().s3
    s3.create_bucket(Bucket="results-memory")
    return BlobStore(s3, "results-memory")


def test_five_big_results_files_upload_side_by_side_in_flat_memory(blobs: BlobStore,
                                                                  tmp_path: Path) -> None:
    paths = []
    for n in range(FILES):
        path = tmp_path / f"file-{n}"
        path.write_bytes(os.urandom(1 << 20) * MEGABYTES)
        paths.append(path)
    blobs.put("warm-up", b"x")  # the client's first request builds its endpoint and models
    tracemalloc.start()
    try:
        with ThreadPoolExecutor(max_workers=FILES) as pool:
            list(pool.map(lambda path: blobs.upload_file(f"results/{path.name}", path, "text/csv"),
                          paths))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for path in paths:  # every byte arrived
        assert hashlib.md5(blobs.read(f"results/{path.name}")).digest() == \
            hashlib.md5(path.read_bytes()).digest()
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MB held for {FILES * MEGABYTES} MB of files"
