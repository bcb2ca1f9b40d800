"""``batch-enrich serve`` started as a user starts it, for the tests that go through a real port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "chalicelib.local"]


def free_port(candidates: range | None = None) -> int:
    """The first port of ``candidates`` nobody listens on (any free port when None)."""
    for port in candidates or [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port among {candidates}")


@contextmanager
def served_api(port: int, admin_key: str) -> Iterator[str]:
    """The API, its emulator and runtime on ``port``; yields the base URL once the API answers."""
    process = subprocess.Popen([*COMMAND, "serve", "--port", str(port), "--admin-key", admin_key],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline and not process.stdout.readline().startswith("bucket:"):
            assert process.poll() is None, "batch-enrich serve exited before it served"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/v1/batches", timeout=2)
            except urllib.error.HTTPError:
                break  # 401: the API answers
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
