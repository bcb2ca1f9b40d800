"""The embedded AWS emulator: moto's server in a process of its own.

Its own process gives it its own interpreter lock, so on a multi-core machine the emulator
serves requests while the handlers enrich rows. What it serves and how (one request at a
time, item-level transaction rollback) is in ``emulator_server``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys


def stop_child(process: subprocess.Popen[str], timeout: float) -> None:
    """End a child of the local runtime: close its standard input (its signal to finish), wait,
    kill it if it outlives ``timeout``, close its output pipe."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.stdout is not None:
        process.stdout.close()


class EmulatorFailed(RuntimeError):
    """The emulator's process did not start, or died; the message says how, in one line."""


class Emulator:
    """moto's server on 127.0.0.1, in a child process that ends with this one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._process: subprocess.Popen[str] | None = None
        self._endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        """The emulator's base URL (what ``AWS_ENDPOINT_URL`` points at)."""
        assert self._endpoint is not None, "start() first"
        return self._endpoint

    @property
    def pid(self) -> int | None:
        """The emulator process's id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def ended(self) -> str | None:
        """How the process ended while it should run ("was killed by signal 9"); None while it runs."""
        code = None if self._process is None else self._process.poll()
        if code is None:
            return None
        return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"

    def start(self) -> Emulator:
        """Start the process and wait until it listens; returns self."""
        self._process = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.local.emulator_server", self._host, str(self._port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if len(line) != 2 or line[0] != "ready":
            pid = self._process.pid
            with contextlib.suppress(subprocess.TimeoutExpired):  # it closed its output: ending
                self._process.wait(timeout=2 if not line else 0)
            ended = self.ended
            self.stop()
            if ended:
                raise EmulatorFailed(f"the AWS emulator (pid {pid}) did not start: it {ended}")
            raise EmulatorFailed(f"the AWS emulator did not start (it said {' '.join(line)!r}; "
                                 "its errors are above)")
        self._endpoint = line[1]
        return self

    def stop(self) -> None:
        """Stop the process (closing its standard input is what tells it to go)."""
        process, self._process = self._process, None
        if process is not None:
            stop_child(process, timeout=5)

    def environment(self) -> dict[str, str]:
        """The variables that point boto3 (and so every adapter) at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
