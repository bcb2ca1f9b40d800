"""Keep-alive connections to one vendor: a pool of guarded ``http.client`` connections.

urllib opens (and closes) a TCP and TLS connection per call; at a vendor's rate limit that is
most of a call's cost. ``ConnectionPool`` keeps up to ``size`` idle connections per host and
answers like urllib's opener (the ``Opener`` protocol of ``http_provider``): a 2xx is a
response, any other status raises ``HTTPError``, a failure to connect or a timeout raises
``URLError`` carrying the reason. Connections are made by ``chalicelib.netguard``, so every
new connection is checked on the address it connects to; no redirect is followed, no proxy.
"""

from __future__ import annotations

import http.client
import io
import threading
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from email.message import Message
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from chalicelib.netguard import Policy, guarded_connection

# A connection the vendor closed while it sat idle fails on first use: sent again once, fresh.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class PooledResponse:
    """A whole 2xx answer, read before its connection went back to the pool."""

    status: int
    headers: Message
    body: bytes

    def read(self, amount: int = -1) -> bytes:
        """The body (up to ``amount`` bytes)."""
        return self.body if amount < 0 else self.body[:amount]

    def __enter__(self) -> PooledResponse:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class ConnectionPool:
    """Idle keep-alive connections per (scheme, host, port), at most ``size`` of each kept."""

    def __init__(self, policy: Policy, size: int = 10, max_body: int = 1 << 21) -> None:
        self._policy = policy
        self._size = size
        self._max_body = max_body
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = defaultdict(list)
        self._lock = threading.Lock()
        self.opened = 0  # connections made so far (what keep-alive saves is visible in tests)

    def open(self, fullurl: urllib.request.Request, data: bytes | None = None,
             timeout: float | None = None) -> PooledResponse:
        """Send the request on an idle connection (or a new one) and read the whole answer."""
        parts = urlsplit(fullurl.full_url)
        scheme, host = parts.scheme, parts.hostname or ""
        where = (scheme, host, parts.port or (443 if scheme == "https" else 80))
        path = parts.path or "/"
        target = f"{path}?{parts.query}" if parts.query else path
        body = data if data is not None else fullurl.data
        # urllib keeps names capitalized ("X-client") and sends them title-cased, as here
        headers = {**{k.title(): v for k, v in fullurl.header_items()}, "Connection": "keep-alive"}
        assert body is None or isinstance(body, bytes)
        for fresh in (False, True):
            connection, reused = self._take(where, timeout, fresh)
            try:
                connection.request(fullurl.get_method(), target, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read(self._max_body + 1)
            except _STALE as exc:
                connection.close()
                if reused:
                    continue
                raise URLError(exc) from exc
            except TimeoutError as exc:
                connection.close()
                raise URLError(exc) from exc
            except OSError as exc:  # a refused destination, a refused connection, DNS …
                connection.close()
                raise URLError(exc) from exc
            except http.client.HTTPException:
                connection.close()
                raise
            self._give_back(where, connection, response)
            if not 200 <= response.status < 300:
                raise HTTPError(fullurl.full_url, response.status, response.reason,
                                response.msg, io.BytesIO(payload))
            return PooledResponse(response.status, response.msg, payload)
        raise AssertionError("unreachable: a fresh connection is never retried")

    def _take(self, where: tuple[str, str, int], timeout: float | None,
              fresh: bool) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle[where]
            if idle and not fresh:
                connection = idle.pop()
                connection.timeout = timeout
                if connection.sock is not None:
                    connection.sock.settimeout(timeout)
                return connection, True
            self.opened += 1
        scheme, host, port = where
        return guarded_connection(scheme, host, port, self._policy, timeout), False

    def _give_back(self, where: tuple[str, str, int], connection: http.client.HTTPConnection,
                   response: http.client.HTTPResponse) -> None:
        if response.will_close or not response.isclosed():  # unread bytes: not reusable
            connection.close()
            return
        with self._lock:
            if len(self._idle[where]) < self._size:
                self._idle[where].append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
        for connection in idle:
            connection.close()
