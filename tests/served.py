"""``batch-enrich serve`` started as a user starts it, for the tests that go through a real port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "chalicelib.local"]


def worker_share(ports: range) -> range:
    """This test process's share of a port range: under pytest-xdist each process takes every
    other port (gw0 the first, gw1 the second, ...), so two processes never pick the same port
    between a check for a free one and the bind of the server that gets it."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    return ports[worker % workers::workers] if workers > 1 else ports


def free_port(candidates: range | None = None) -> int:
    """The first port of this process's share of ``candidates`` nobody listens on (any free
    port when None)."""
    for port in worker_share(candidates) if candidates is not None else [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError(f"no free port among {candidates}")


@dataclass(frozen=True)
class Served:
    """A running ``batch-enrich serve``: its API, its emulator's AWS endpoint and the data bucket."""

    base: str
    aws_endpoint: str
    bucket: str


@contextmanager
def served_api(port: int, admin_key: str) -> Iterator[str]:
    """The API, its emulator and runtime on ``port``; yields the base URL once the API answers."""
    with serving(port, admin_key, stop=signal.SIGTERM) as served:
        yield served.base


@contextmanager
def serving(port: int, admin_key: str, options: tuple[str, ...] = (),
            stderr: IO[bytes] | int = subprocess.DEVNULL,
            stop: signal.Signals = signal.SIGINT) -> Iterator[Served]:
    """``batch-enrich serve`` with ``options``, its log lines to ``stderr``; stopped by ``stop``
    (SIGINT, as Ctrl-C: the runtime stops its workers and emulator first), killed if it hangs."""
    process = subprocess.Popen([*COMMAND, "serve", "--port", str(port), "--admin-key", admin_key,
                                *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert process.stdout is not None
    base = f"http://127.0.0.1:{port}"
    said: dict[str, str] = {}
    try:
        deadline = time.time() + 90
        while time.time() < deadline and "bucket" not in said:
            name, _, value = process.stdout.readline().partition(":")
            said[name] = value.strip()
            assert process.poll() is None, "batch-enrich serve exited before it served"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/v1/batches", timeout=2)
            except urllib.error.HTTPError:
                break  # 401: the API answers
            except OSError:
                time.sleep(0.1)
        yield Served(base, said["AWS emulator"], said["bucket"])
    finally:
        process.send_signal(stop)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # under pytest-xdist a SIGINT'd serve can linger
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
