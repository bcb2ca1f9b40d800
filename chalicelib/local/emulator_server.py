"""The emulator's own process: moto's server, one request at a time, with two fixes of ours.

Run as ``python -m chalicelib.local.emulator_server HOST PORT``; prints ``ready URL`` once it
listens and exits when its standard input closes (its parent stopped or died).

- moto is not atomic under concurrent requests (conditional transactional decrements lose
  updates), so every request is served under one lock, as DynamoDB's own atomicity would.
- moto's TransactWriteItems deep-copies every table it touches before writing, so that a
  cancelled transaction can be undone: a cost that grows with the table (the chunks and
  ledger tables grow by one item per chunk). Here a transaction saves and restores only the
  items it names, which is all a cancelled transaction can have changed.
- moto's dispatcher lists its package folders on disk for every request to find the service;
  here the answer is kept per host.
- moto's own server (werkzeug's) closes the connection after every response, so each request
  paid a new TCP connection; waitress keeps connections alive.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress.server import create_server

# Threads only wait for the one-request lock; a few keep clients' connections served.
_THREADS = 8
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


class _TablesKept:
    """Stands in for the ``copy`` module inside moto's DynamoDB backend: a table is not copied.

    moto restores ``self.tables[name]`` from its "copy" when a transaction is cancelled;
    with this the restore puts back the same table, whose items ``_item_level`` restores.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


_Saved = tuple[Table, DynamoType, DynamoType | None, Any]


def _targets(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[_Saved]:
    """Each item the transaction names, as it is now (None when absent), copied."""
    saved: list[_Saved] = []
    for entry in transact_items:
        op: dict[str, Any] = next(iter(entry.values()), {})
        table = backend.tables.get(op.get("TableName", ""))
        attrs = op.get("Item") or op.get("Key") or {}
        if table is None or table.hash_key_attr not in attrs:
            continue  # moto refuses the request itself
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attrs:
                continue
            range_value = DynamoType(attrs[table.range_key_attr])
        saved.append((table, hash_value, range_value,
                      copy.deepcopy(table.get_item(hash_value, range_value))))
    return saved


def _restore(saved: list[_Saved]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        if item is None:
            table.delete_item(hash_value, range_value)
            if range_value is not None and not table.items.get(hash_value, True):
                del table.items[hash_value]
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item


def item_level_transactions() -> None:
    """Make moto's TransactWriteItems save and restore the named items instead of whole tables."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "item_level", False):
        return
    setattr(dynamodb_models, "copy", _TablesKept())  # noqa: B010 (moto's module global)

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = _targets(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(saved)
            raise

    transact_write_items.item_level = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def application() -> WsgiApp:
    """The emulator's WSGI application."""
    item_level_transactions()
    return Serialized(Dispatcher())


def _exit_when_orphaned() -> None:
    sys.stdin.read()  # returns when the parent closes the pipe or dies
    os._exit(0)


def main(argv: list[str]) -> None:
    """Serve on HOST PORT (0: any free port) until standard input closes."""
    host, port = argv[0], int(argv[1])
    logging.getLogger("waitress").setLevel(logging.ERROR)  # not "serving on", nor queue depth
    server: Any = create_server(application(), host=host, port=port, threads=_THREADS,
                                connection_limit=1000, channel_timeout=600)
    print(f"ready http://{host}:{server.effective_port}", flush=True)
    os.dup2(2, 1)  # nobody reads the pipe after this line: anything printed later goes to stderr
    threading.Thread(target=_exit_when_orphaned, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
