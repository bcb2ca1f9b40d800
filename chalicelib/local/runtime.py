"""The local runtime: the declared queues and schedules drive the same handlers Lambda would.

The emulator runs in a process of its own. The work queues (basic mode's and advanced mode's)
are polled by worker processes, each polling both (as Lambda runs concurrent invocations of the
work function in separate sandboxes, each with its own interpreter), or, with
``work_processes=False``, by threads of this process; the ingest and finalize queues and the
schedules are served by threads of this process.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
import uuid
from typing import Any

from chalicelib import topology
from chalicelib.clients import get_clients, reset_clients
from chalicelib.handlers import EVENT_HANDLER_MODULES
from chalicelib.local.counting import Counts, RequestCounter, merged
from chalicelib.local.emulator import Emulator, EmulatorFailed
from chalicelib.local.eventsource import (
    Busy,
    EventSourceMapping,
    Handler,
    LambdaContext,
    QueueState,
    mappings,
    poll_until,
    queue_state,
)
from chalicelib.local.provision import provision
from chalicelib.local.workers import WorkerProcess
from chalicelib.observability import LOCAL_SERVICE, SERVICE
from chalicelib.observability import local_logger as logger
from chalicelib.services.ports import reset_ports
from chalicelib.settings import get_settings

# moto's SQS rescans every message on each request: keep the work queue short locally.
_QUEUED_CHUNKS = 40


def scheduled_event(spec: topology.ScheduleSpec, region: str, now: str) -> dict[str, Any]:
    """The event EventBridge hands a function on a schedule."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": now, "region": region,
        "resources": [f"arn:aws:events:{region}:123456789012:rule/{spec.name}"], "detail": {},
    }


class LocalRuntime:
    """Emulator + provisioned resources + pollers feeding the handlers declared in topology."""

    def __init__(self, work_concurrency: int = 2, retry_delay: int = 1,
                 emulator: Emulator | None = None, tick_seconds: float = 10.0,
                 work_processes: bool = True, count_requests: bool = False) -> None:
        self.emulator = emulator or Emulator()
        self._tick_seconds = tick_seconds  # AWS ticks every minute; locally sooner is friendlier
        self._work_concurrency = work_concurrency
        self._work_processes = work_processes
        self._retry_delay = retry_delay
        self._count = count_requests
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = Busy()
        self._workers: list[WorkerProcess] = []
        self._counter: RequestCounter | None = None
        self.mappings: list[EventSourceMapping] = []
        self.failure: str | None = None  # set when the emulator died under the runtime
        self._failed = threading.Event()

    def start(self) -> LocalRuntime:
        """Start the emulator, point this process at it, provision, start the pollers."""
        self.emulator.start()
        try:
            return self._start_on_emulator()
        except Exception:
            for _ in range(10):  # did the emulator die under us? (raise what it was, not a traceback)
                if self.emulator.ended is not None:
                    self._fail(f"the AWS emulator (pid {self.emulator.pid}) {self.emulator.ended}")
                    raise EmulatorFailed(self.failure) from None
                time.sleep(0.1)
            raise

    def _start_on_emulator(self) -> LocalRuntime:
        os.environ.update(self.emulator.environment())
        os.environ.setdefault("BATCH_ENRICH_MAX_QUEUED_CHUNKS", str(_QUEUED_CHUNKS))
        # The local mappings honour batchItemFailures, as infra/'s do (ReportBatchItemFailures).
        os.environ.setdefault("BATCH_ENRICH_PARTIAL_BATCH_RESPONSES", "true")
        reset_clients()
        reset_ports()
        provision(get_clients(), get_settings())
        if self._count:
            self._counter = RequestCounter().attach()
        # Lambda imports a function's handlers in its one thread; here the pollers, the tick and
        # the API share one process, so the handlers load before their threads start (app.py
        # imports them on first use, and threads importing the same modules at once can deadlock).
        for module in EVENT_HANDLER_MODULES.values():
            importlib.import_module(module)
        self.mappings = mappings(retry_delay=self._retry_delay)
        if self._work_processes:
            count = min(self._work_concurrency, *(q.maximum_concurrency for q in topology.WORK_QUEUES))
            self._workers = [self._worker().start() for _ in range(count)]
            self._spawn(self._supervise, "supervise-workers")
        for mapping in self.mappings:
            work = mapping.spec in topology.WORK_QUEUES
            if work and self._work_processes:
                continue
            # Never more concurrent invocations than the mapping allows on AWS.
            pollers = min(self._work_concurrency, mapping.spec.maximum_concurrency) if work else 1
            for n in range(pollers):
                self._spawn(poll_until, f"poll-{mapping.spec.name}-{n}", mapping, self._stop, self._busy)
        self._spawn(self._watch_emulator, "watch-emulator")
        app = importlib.import_module("app")
        for spec in topology.SCHEDULES:
            self._spawn(self._schedule, f"schedule-{spec.name}", spec, getattr(app, spec.handler))
        return self

    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        thread.start()
        self._threads.append(thread)

    def _schedule(self, spec: topology.ScheduleSpec, handler: Handler) -> None:
        while not self._stop.wait(self._tick_seconds):
            with self._busy:
                try:
                    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                    handler(scheduled_event(spec, get_settings().region, now), LambdaContext(spec.name))
                except Exception:  # a failed tick is logged; the next one tries again, as on AWS
                    logger.exception("scheduled handler failed", extra={"handler": spec.handler})

    def _supervise(self) -> None:
        """Replace a worker process that died (its messages come back after their visibility timeout)."""
        while not self._stop.wait(1.0):
            for n, worker in enumerate(self._workers):
                code = worker.exited
                if code is not None and not self._stop.is_set():
                    logger.error("worker process exited; starting another", extra={"code": code})
                    self._workers[n] = self._worker().start()

    def _worker(self) -> WorkerProcess:
        """A worker process polling both work queues (at most each mapping's concurrency of them:
        the runtime never starts more than that)."""
        return WorkerProcess([spec.name for spec in topology.WORK_QUEUES], self._retry_delay, self._count)

    def _watch_emulator(self) -> None:
        """Notice at once when the emulator dies: everything else depends on it."""
        pid = self.emulator.pid
        while not self._stop.wait(0.2):
            ended = self.emulator.ended
            if ended is not None:
                self._fail(f"the AWS emulator (pid {pid}) {ended}")
                return

    def _fail(self, reason: str) -> None:
        """Stop everything quietly; the caller says what happened in one line (``check``)."""
        self.failure = reason
        for name in (SERVICE, LOCAL_SERVICE):  # every request they make now fails: no tracebacks
            logging.getLogger(name).disabled = True
        self._stop.set()
        for worker in self._workers:
            worker.kill()
        self._failed.set()

    def check(self, grace: float = 0.0) -> None:
        """Raise EmulatorFailed if the emulator died (waiting up to ``grace`` seconds to notice)."""
        if self._failed.wait(grace):
            raise EmulatorFailed(self.failure)

    def wait_failure(self) -> str:
        """Block until the runtime fails; the reason."""
        self._failed.wait()
        return self.failure or "the local runtime failed"

    @property
    def workers(self) -> list[WorkerProcess]:
        """The work queue's worker processes (replaced when one dies)."""
        return list(self._workers)

    def stop(self) -> None:
        """Stop the pollers and workers (after their current batch), then the emulator."""
        self._stop.set()
        for thread in self._threads:  # after a failure they may be stuck retrying a dead endpoint
            thread.join(timeout=0 if self.failure else 30)
        for worker in self._workers:
            worker.stop()
        self.emulator.stop()

    def queue_states(self) -> list[QueueState]:
        """What every declared queue (and its DLQ) holds now."""
        return [queue_state(get_clients().sqs, spec) for spec in topology.QUEUES]

    def idle(self) -> bool:
        """True when no handler runs here and every queue is empty (visible and in flight).

        A worker process's messages are in flight (not yet deleted) while it works them.
        """
        if self._busy:
            return False
        return not any(mapping.outstanding() for mapping in self.mappings)

    def request_counts(self) -> Counts:
        """AWS requests made by this process and the workers since the last reset (count_requests)."""
        assert self._counter is not None, "LocalRuntime(count_requests=True)"
        return merged([self._counter.snapshot(), *(w.counts() for w in self._workers)])

    def reset_request_counts(self) -> None:
        """Count from zero in this process and every worker."""
        assert self._counter is not None, "LocalRuntime(count_requests=True)"
        self._counter.reset()
        for worker in self._workers:
            worker.reset_counts()
