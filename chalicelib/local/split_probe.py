"""Run split on one uploaded file in this process and report its peak memory (a benchmark probe).

``python -m chalicelib.local.split_probe BUCKET KEY ETAG`` with ``AWS_ENDPOINT_URL`` pointing at
a running emulator. Work messages are counted, not sent: the probe measures split's own
streaming (S3 read, CSV parsing, chunk packing), not the emulator's queue.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Start this process's peak memory (VmHWM) again from its current RSS."""
    # getrusage's maxrss survives fork and exec (it starts at the parent's peak); VmHWM does
    # not, and writing 5 to clear_refs resets it to the current RSS.
    Path("/proc/self/clear_refs").write_text("5")


def main(argv: Sequence[str]) -> None:
    """Split the object, print {baseline_mb, peak_mb, rows, chunks, seconds} as JSON."""
    from chalicelib.adapters.queue import MessageQueue
    from chalicelib.services.ports import get_ports
    from chalicelib.services.splitting import UploadedObject, split_upload

    bucket, key, etag = argv
    sent = {"messages": 0, "bytes": 0}

    def count(_: MessageQueue, name: str, bodies: Sequence[str]) -> None:
        sent["messages"] += len(bodies)
        sent["bytes"] += sum(len(b) for b in bodies)

    MessageQueue.send = count  # type: ignore[method-assign,assignment]
    ports = get_ports()
    baseline = status_mb("VmRSS")
    reset_peak()
    started = time.perf_counter()
    chunks = split_upload(ports, UploadedObject(bucket, key, etag))
    seconds = time.perf_counter() - started
    print(json.dumps({"baseline_mb": round(baseline, 1), "peak_mb": round(status_mb("VmHWM"), 1),
                      "chunks": chunks, "messages": sent["messages"],
                      "message_bytes": sent["bytes"], "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main(sys.argv[1:])
