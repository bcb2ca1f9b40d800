"""The emulator's own process: moto's server, one request at a time, with fixes of ours.

Run as ``python -m chalicelib.local.emulator_server HOST PORT``; prints ``ready URL`` once it
listens and exits when its standard input closes (its parent stopped or died).

- moto is not atomic under concurrent requests (conditional transactional decrements lose
  updates), so every request is served under one lock, as DynamoDB's own atomicity would.
- ``moto_fixes``: item-level rollback of cancelled transactions; SQS scans a queue once per
  request (not per attribute, per received message and per send); update expressions parsed once.
- ``post_policy``: a presigned POST is checked against its policy (signature, expiration,
  conditions, content-length-range) as S3 checks it; moto stores whatever it is sent.
- moto's dispatcher lists its package folders on disk for every request to find the service;
  here the answer is kept per host.
- moto's own server (werkzeug's) closes the connection after every response, so each request
  paid a new TCP connection; waitress keeps connections alive.
- waitress never answers a request that says ``Expect: 100-continue`` with an empty body
  (``Content-Length: 0``, as botocore sends a zero-byte PutObject): it sends ``100 Continue``
  and marks the already complete request incomplete again, so it waits for a body that never
  comes and the client times out (``ContinueOnce`` below).
- ``emulator_direct``: DynamoDB's and SQS's requests go straight to moto's handler, without
  Flask's request context, routing and after-request functions (the same answers).
- ``emulator_costs``: each request's CPU by operation, for the bench (``GET /_emulator/costs``).
- ``emulator_longpoll``: an SQS receive with a wait is answered from outside the lock (a long
  poll under it would stop every other request for its wait).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress.channel import HTTPChannel
from waitress.server import create_server

from chalicelib import topology
from chalicelib.local import moto_fixes, post_policy
from chalicelib.local.emulator_costs import Costed
from chalicelib.local.emulator_direct import Direct
from chalicelib.local.emulator_longpoll import LongPolls, watch_moto
from chalicelib.local.logs import setup_child_logging

# Threads only wait for the one-request lock or a long poll. The local runtime's idle pollers
# (one a queue, and one a worker on each work queue: at most each work mapping's concurrency)
# each hold one while they wait, so there are as many threads as pollers can be, and 8 more for
# every other request: with fewer, a runtime of many workers would leave its sends queued behind
# idle long polls.
_POLLERS = sum(queue.maximum_concurrency if queue in topology.WORK_QUEUES else 1 for queue in topology.QUEUES)
_THREADS = _POLLERS + 8
# Bodies are part objects and chunk messages (up to ~1 MB): read and written in big pieces
# (waitress's 8 KB reads made a 1 MB PutObject cost ~10.5 ms of the emulator's CPU, ~7.6 here).
_RECV_BYTES, _SEND_BYTES = 256 * 1024, 1024 * 1024
# A request body or an answer past waitress's limits (512 KB in, 1 MB out) is buffered in a new
# temporary file on disk: a file made, written and read back for every part object, finalize's
# 8 MB parts and each GetObject of a group's parts. Bodies this size are held in memory instead
# (waitress still moves anything bigger to a file, a 1 GB upload included).
_MEMORY_BUFFER = 64 * 1024 * 1024
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Serialized:
    """WSGI middleware: one request inside the emulator at a time (body read included)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class Dispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves each host."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]


class ContinueOnce(HTTPChannel):  # type: ignore[misc]  # waitress has no type hints
    """waitress's channel, never asking for the body of a request that has none."""

    def send_continue(self) -> None:
        """Send ``100 Continue`` only while a body is still to come."""
        if self.request.completed:  # Content-Length: 0: the request is whole, answer it
            self.request.expect_continue = False
            return
        super().send_continue()


def application() -> WsgiApp:
    """The emulator's WSGI application."""
    moto_fixes.apply()
    post_policy.apply()
    watch_moto()
    dispatcher = Dispatcher()
    return Costed(LongPolls(Serialized(Direct(dispatcher, dispatcher.get_application))))


def _exit_when_orphaned() -> None:
    sys.stdin.read()  # returns when the parent closes the pipe or dies
    os._exit(0)


def serve(host: str, port: int) -> Any:
    """The emulator's server on HOST PORT (0: any free port), not yet running (``run()``)."""
    server: Any = create_server(application(), host=host, port=port, threads=_THREADS,
                                connection_limit=1000, channel_timeout=600,
                                recv_bytes=_RECV_BYTES, send_bytes=_SEND_BYTES,
                                inbuf_overflow=_MEMORY_BUFFER, outbuf_overflow=_MEMORY_BUFFER)
    server.channel_class = ContinueOnce
    return server


def main(argv: list[str]) -> None:
    """Serve on HOST PORT (0: any free port) until standard input closes."""
    host, port = argv[0], int(argv[1])
    setup_child_logging()  # anything the emulator logs is a line of the chosen format
    logging.getLogger("waitress").setLevel(logging.ERROR)  # not "serving on", nor queue depth
    server = serve(host, port)
    print(f"ready http://{host}:{server.effective_port}", flush=True)
    os.dup2(2, 1)  # nobody reads the pipe after this line: anything printed later goes to stderr
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
