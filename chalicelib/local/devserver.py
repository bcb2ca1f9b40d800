"""Chalice's development server for ``serve``, its request lines written by the middleware as JSON."""

from __future__ import annotations

import sys
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


def dev_server(app: Chalice, host: str, port: int) -> LocalDevServer:
    """The app served on host:port as ``chalice local`` serves it, without plain-text lines."""
    config = Config.create(chalice_app=app, app_name="batch-enrich", chalice_stage="dev")
    return LocalDevServer(app, config, host, port, handler_cls=QuietRequestHandler,
                          server_cls=LoggedHTTPServer)
