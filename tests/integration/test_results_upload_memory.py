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


def test_a_multipart_upload_is_checked_part_by_part_with_crc32(blobs: BlobStore, tmp_path: Path) -> None:
    """finalize's own multipart uploads carry each part's CRC32, as boto3's do: S3 then keeps the
    parts' composite checksum rather than computing one over the whole object at completion."""
    parts = []
    for n in range(2):
        path = tmp_path / f"part-{n}"
        path.write_bytes(os.urandom(5 << 20 if n == 0 else 1000))
        parts.append(path)
    upload = blobs.start_upload("results/parted", "text/csv")
    for number, path in enumerate(parts, start=1):
        blobs.upload_part("results/parted", upload, number, path)
    blobs.finish_upload("results/parted", upload)
    assert blobs.read("results/parted") == b"".join(path.read_bytes() for path in parts)
    head = get_clients().s3.head_object(Bucket=blobs.bucket, Key="results/parted", ChecksumMode="ENABLED")
    assert head.get("ChecksumCRC32") and "ChecksumCRC64NVME" not in head
