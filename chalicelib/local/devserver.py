"""Chalice's development server for ``serve``, its request lines written by the middleware as JSON."""

from __future__ import annotations

import sys
import threading
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, ThreadedHTTPServer

from chalicelib.observability import local_logger


class QuietRequestHandler(ChaliceRequestHandler):
    """Chalice's dev server without its own access lines: the middleware logs each request as JSON.

    (Its lines are plain text and repeat the query string, where a caller's values may be.)
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Nothing: ``handlers/observed.py`` writes the request's line."""

    def log_error(self, format: str, *args: Any) -> None:
        """A request the server itself refused (a malformed request line), without its text."""
        local_logger.warning("http request refused by the local server")


class LoggedHTTPServer(ThreadedHTTPServer):
    """Chalice's threaded server, its failures logged as JSON lines instead of printed.

    (``socketserver`` prints a failed request's traceback between dashed lines on standard
    error; a client that gave up waiting, a broken pipe, is the common one under load.)
    """

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log the request's failure (a client gone before its answer: at DEBUG, it is no fault)."""
        failure = sys.exc_info()[1]
        if isinstance(failure, ConnectionError):
            local_logger.debug("http client closed the connection before its answer")
        else:
            local_logger.exception("http request failed in the local server")


class RequestPerThread:
    """The request (and Lambda context) a Chalice app is answering, kept per thread.

    Chalice keeps ``current_request`` on the app: right on Lambda (one request per process at a
    time), wrong under the threaded local server, where a request served meanwhile replaced it and
    a view read another request's query string and key (the console's filtered list answered
    unfiltered, its ``/v1/credits`` a 422 for the list's ``limit``). ``chalice local`` swaps in a
    thread-local attribute too; a thread that served no request reads None.
    """

    _served = threading.local()

    @property
    def current_request(self) -> Any:
        """The request this thread is answering."""
        return getattr(self._served, "request", None)

    @current_request.setter
    def current_request(self, request: Any) -> None:
        self._served.request = request

    @property
    def lambda_context(self) -> Any:
        """The Lambda context of the request this thread is answering."""
        return getattr(self._served, "context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._served.context = context


def served_per_thread(app: Chalice) -> Chalice:
    """The app, its current request kept per thread (idempotent)."""
    if not isinstance(app, RequestPerThread):
        app.__class__ = type(f"Threaded{type(app).__name__}", (RequestPerThread, type(app)), {})
    return app


def dev_server(app: Chalice, host: str, port: int) -> LocalDevServer:
    """The app served on host:port as ``chalice local`` serves it (each thread its own request),
    without plain-text lines."""
    app = served_per_thread(app)
    config = Config.create(chalice_app=app, app_name="batch-enrich", chalice_stage="dev")
    return LocalDevServer(app, config, host, port, handler_cls=QuietRequestHandler,
                          server_cls=LoggedHTTPServer)
