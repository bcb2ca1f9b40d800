"""The outbound guard: special addresses refused in every spelling, at configuration and on connect."""

from __future__ import annotations

import ipaddress
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import URLError

import pytest

from chalicelib.netguard import Policy, RefusedDestination, check_url, guarded_opener, refusal

STRICT = Policy()
LOOPBACK = Policy(allow_loopback=True)


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "[::1]",
    "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[2002:7f00:1::]",
    "[64:ff9b::127.0.0.1]", "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
])
def test_loopback_in_any_spelling_is_refused_unless_allowed(host: str) -> None:
    with pytest.raises(RefusedDestination, match="loopback"):
        check_url(f"http://{host}:8080/people", STRICT)
    check_url(f"http://{host}:8080/people", LOOPBACK)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[::ffff:169.254.169.254]/",
    "http://0xa9fea9fe/", "http://2852039166/",
])
def test_link_local_and_the_metadata_service_are_refused_whatever_the_policy(url: str) -> None:
    with pytest.raises(RefusedDestination, match="link-local"):
        check_url(url, Policy(allow_loopback=True, allow_private=True))


@pytest.mark.parametrize("address", [
    "10.0.0.1", "172.16.5.4", "192.168.0.1", "100.64.0.1", "100.100.100.200", "fd00:ec2::254",
    "fc00::1", "198.18.0.1", "192.0.2.1", "2001:db8::1",
])
def test_private_and_special_purpose_addresses_are_refused_unless_private_is_allowed(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert refusal(parsed, STRICT) == "a private or special-purpose address"
    assert refusal(parsed, Policy(allow_private=True)) is None


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "224.0.0.1", "ff02::1", "240.0.0.1",
                                     "255.255.255.255", "192.0.0.8"])
def test_unspecified_multicast_and_reserved_addresses_are_always_refused(address: str) -> None:
    everything = Policy(allow_loopback=True, allow_private=True)
    assert refusal(ipaddress.ip_address(address), everything) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111",
                                     "::ffff:93.184.216.34"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), STRICT) is None


@pytest.mark.parametrize("url", ["ftp://vendor.example/x", "file:///etc/passwd", "http:///x",
                                 "http://vendor.example:99999/x"])
def test_only_http_urls_with_a_host_and_a_port_pass(url: str) -> None:
    with pytest.raises(RefusedDestination):
        check_url(url, STRICT)


def test_a_name_that_does_not_resolve_yet_is_left_to_the_connection_time_check(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*_: Any, **__: Any) -> Any:
        raise socket.gaierror("no network")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    check_url("https://api.vendor.example/v1/{email}", STRICT)


def test_a_name_resolving_to_both_public_and_private_addresses_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 80)) for ip in ("93.184.216.34", "10.1.2.3")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *_, **__: answers)
    with pytest.raises(RefusedDestination, match=r"10\.1\.2\.3"):
        check_url("http://split-horizon.example/", STRICT)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"hi")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_the_guarded_opener_refuses_on_connect_and_connects_when_allowed(loopback_port: int) -> None:
    url = f"http://0x7f000001:{loopback_port}/"
    with pytest.raises(URLError) as refused:
        guarded_opener(STRICT).open(urllib.request.Request(url), timeout=5)
    assert isinstance(refused.value.reason, RefusedDestination)
    with guarded_opener(LOOPBACK).open(urllib.request.Request(url), timeout=5) as reply:
        assert reply.read() == b"hi"


def test_the_guarded_opener_ignores_proxies_from_the_environment(
        loopback_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://93.184.216.34:3128")  # a proxy would connect for us
    with pytest.raises(URLError) as refused:
        guarded_opener(STRICT).open(f"http://127.0.0.1:{loopback_port}/", timeout=5)
    assert isinstance(refused.value.reason, RefusedDestination)


def test_https_is_guarded_the_same_way() -> None:
    with pytest.raises(URLError) as refused:
        guarded_opener(STRICT).open("https://[::ffff:10.0.0.1]:8443/", timeout=5)
    assert isinstance(refused.value.reason, RefusedDestination)
