"""What the service may connect to on a tenant's behalf: never its own network.

A URL a tenant supplies (a vendor source, later a webhook) could point at the cloud's
metadata service, at the VPC, or at the machine itself, and its reply would be fetched with
our credentials and handed to the tenant. ``check_url`` refuses such a URL when it is
configured; ``GuardedHTTPHandler``/``GuardedHTTPSHandler`` (or ``guarded_opener``) check
again at connection time, on the very address the socket connects to, so a name that
resolved to a public address at configuration and to 127.0.0.1 later (DNS rebinding) is
refused all the same.

Every spelling of an address is caught because the check runs on what the resolver makes of
the host (``0x7f000001``, ``2130706433``, ``0177.1``, ``[::ffff:127.0.0.1]`` all resolve to
127.0.0.1), and IPv6 forms that carry an IPv4 address (mapped, compatible, 6to4, Teredo,
NAT64) are judged by the IPv4 address they carry.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible addresses
_IETF = ipaddress.ip_network("192.0.0.0/24")  # protocol assignments (NAT64 discovery, DS-Lite)


class RefusedDestination(OSError):
    """The destination is an address the service must not connect to; the message says why.

    An ``OSError``, so urllib reports it as the ``reason`` of a ``URLError`` like any other
    connection failure.
    """


@dataclass(frozen=True)
class Policy:
    """Which special addresses are allowed after all (both off on AWS).

    ``allow_loopback``: 127.0.0.0/8 and ::1 (``batch-enrich serve`` sets it, for local
    vendors). ``allow_private``: RFC 1918, shared and unique-local addresses (a vendor inside
    the operator's own network). Link-local addresses (the metadata service) are never allowed.
    """

    allow_loopback: bool = False
    allow_private: bool = False


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the forms that carry one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: Address, policy: Policy) -> str | None:
    """Why the policy refuses this address (None: it may be connected to)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = _embedded_ipv4(address)
        if carried is not None:
            return refusal(carried, policy)
    if address.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address (the cloud metadata service lives there)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address.is_reserved or address in _IETF:
        return "a reserved address"
    if not address.is_global:
        return None if policy.allow_private else "a private or special-purpose address"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address the resolver gives for ``host`` (a name or an address in any spelling)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:  # a label too long for IDNA
        raise socket.gaierror(f"cannot resolve {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]


def vetted_address(host: str, port: int, policy: Policy) -> Address:
    """The address to connect to for ``host``: every address it resolves to must be allowed."""
    addresses = resolve(host, port)
    for address in addresses:
        why = refusal(address, policy)
        if why is not None:
            raise RefusedDestination(f"{host!r} resolves to {address}, {why}")
    return addresses[0]


def check_url(url: str, policy: Policy) -> None:
    """Refuse a URL whose scheme is not http(s) or whose host is (or resolves to) a refused address.

    A host that does not resolve now is let through: the connection-time check decides then.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedDestination(f"the scheme {parts.scheme!r} is not http or https")
    host = parts.hostname
    if not host:
        raise RefusedDestination("the URL names no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RefusedDestination(f"bad port: {exc}") from exc
    try:
        vetted_address(host, port, policy)
    except RefusedDestination:
        raise
    except OSError:
        return


def _connect(host: str, port: int, timeout: Any, policy: Policy) -> socket.socket:
    """A socket connected to the vetted address of ``host`` (resolved once, checked, used)."""
    address = vetted_address(host, port, policy)
    return socket.create_connection((str(address), port), timeout)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, policy: Policy, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.policy = policy

    def connect(self) -> None:
        """Connect to the vetted address only."""
        self.sock = _connect(self.host, self.port, self.timeout, self.policy)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, policy: Policy, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self.policy = policy

    def connect(self) -> None:
        """Connect to the vetted address, then TLS with the host's name (SNI, certificate)."""
        sock = _connect(self.host, self.port, self.timeout, self.policy)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def guarded_connection(scheme: str, host: str, port: int, policy: Policy,
                       timeout: float | None) -> http.client.HTTPConnection:
    """A connection to ``host:port`` (made on first request) that connects only where ``policy`` allows."""
    options: dict[str, Any] = {"port": port} if timeout is None else {"port": port, "timeout": timeout}
    if scheme == "https":
        return _GuardedHTTPSConnection(host, policy, **options)
    return _GuardedHTTPConnection(host, policy, **options)


class GuardedHTTPHandler(urllib.request.HTTPHandler):
    """urllib's http handler, connecting only to addresses the policy allows."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self._policy = policy

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        return _GuardedHTTPConnection(host, self._policy, **kwargs)

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open through a guarded connection."""
        return self.do_open(self._connection, req)


class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's https handler, connecting only to addresses the policy allows."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self._policy = policy

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        return _GuardedHTTPSConnection(host, self._policy, **kwargs)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        """Open through a guarded connection."""
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]


def guarded_opener(policy: Policy, *handlers: urllib.request.BaseHandler) -> urllib.request.OpenerDirector:
    """An opener whose connections go only where the policy allows, never through a proxy.

    (A proxy would make the connection for us, to an address we never checked.)
    """
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), GuardedHTTPHandler(policy),
                                       GuardedHTTPSHandler(policy), *handlers)
