"""Work pollers in processes of their own, as Lambda runs concurrent invocations in separate sandboxes.

A worker process polls the declared work queues (a poller thread each: basic mode's and advanced
mode's, as one Lambda function serves both mappings) and feeds their handler until its standard
input closes. Its standard input also takes commands, each answered with one line on the pipe that
was its standard output (the process's own output goes to standard error): ``counts`` (the
AWS requests it made, when started with ``--count``), ``timings`` (its invocations' durations) and
``reset``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from importlib import import_module
from typing import IO, Any

from chalicelib.handlers import EVENT_HANDLER_MODULES
from chalicelib.local.counting import Counts, RequestCounter, merged
from chalicelib.local.emulator import stop_child
from chalicelib.local.eventsource import Timings, mappings, poll_until
from chalicelib.local.logs import setup_child_logging
from chalicelib.services.ports import get_ports
from chalicelib.sources.slot_counts import SLOTS


class WorkerProcess:
    """The parent's handle on one worker process."""

    def __init__(self, queues: Sequence[str], retry_delay: int, count: bool) -> None:
        self._args = [sys.executable, "-m", "chalicelib.local.workers", ",".join(queues), str(retry_delay)]
        if count:
            self._args.append("--count")
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> WorkerProcess:
        """Start the process (it inherits this process's environment: endpoint, settings)."""
        self._process = subprocess.Popen(self._args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, env=dict(os.environ))
        return self

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def exited(self) -> int | None:
        """The exit code once the process ended, else None."""
        return None if self._process is None else self._process.poll()

    def _ask(self, command: str) -> str:
        with self._lock:
            assert self._process is not None and self._process.stdin and self._process.stdout
            self._process.stdin.write(command + "\n")
            self._process.stdin.flush()
            return self._process.stdout.readline().strip()

    def counts(self) -> Counts:
        """The requests this worker made since it started or was last reset."""
        answer: Counts = json.loads(self._ask("counts"))
        return answer

    def reset_counts(self) -> None:
        """Start this worker's counts (requests and invocations) from zero."""
        self._ask("reset")

    def timings(self) -> dict[str, Any]:
        """How many invocations this worker ran since it started or was last reset, the longest,
        and how many ran over the function's timeout."""
        answer: dict[str, Any] = json.loads(self._ask("timings"))
        return answer

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a sandbox that lost its endpoint is thrown away."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def stop(self, timeout: float = 30) -> None:
        """Ask the process to finish its current batch and exit; kill it if it does not."""
        process, self._process = self._process, None
        if process is not None:
            stop_child(process, timeout)


def _answer(commands: IO[str], answers: IO[str], stop: threading.Event,
            counter: RequestCounter | None, timings: list[Timings]) -> None:
    for line in commands:
        command = line.strip()
        if command == "counts":
            answers.write(json.dumps(counter.snapshot() if counter else merged([])) + "\n")
        elif command == "timings":
            answers.write(json.dumps({**asdict(Timings.summed(timings)), "slots": SLOTS.to_json()}) + "\n")
        elif command == "reset":
            if counter:
                counter.reset()
            for each in timings:
                each.reset()
            SLOTS.reset()
            answers.write("ok\n")
        answers.flush()
    stop.set()  # standard input closed: the parent asks this worker to stop


def main(argv: list[str]) -> None:
    """Poll the queues ARGV[0] names (comma-separated; redelivering failures after ARGV[1]
    seconds) until told to stop."""
    answers = os.fdopen(os.dup(1), "w")  # the answers pipe; everything else prints to stderr
    os.dup2(2, 1)
    queues, retry_delay = argv[0].split(","), int(argv[1])
    setup_child_logging()
    counter = RequestCounter().attach() if "--count" in argv else None
    # Built before the first receive, as in the runtime's own process: built on the first
    # invocation instead, they would delay its heartbeat while the messages it received stay
    # hidden for the queue's visibility timeout.
    get_ports()
    polled = [m for m in mappings(retry_delay=retry_delay) if m.spec.name in queues]
    # Their function's handler module loaded too, while the worker waits for its first message:
    # on the first invocation instead (the import app.py defers to it: the function's cold
    # start, ~0.3-0.5 s of CPU for work), every worker paid it inside the batch, its first chunk
    # waiting. A worker process starts with the runtime, before any batch.
    for handler in {m.spec.handler for m in polled} & EVENT_HANDLER_MODULES.keys():
        import_module(EVENT_HANDLER_MODULES[handler])
    stop = threading.Event()
    threading.Thread(target=_answer, args=(sys.stdin, answers, stop, counter, [m.timings for m in polled]),
                     daemon=True).start()
    pollers = [threading.Thread(target=poll_until, args=(m, stop), name=f"poll-{m.spec.name}")
               for m in polled]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join()


if __name__ == "__main__":
    main(sys.argv[1:])
