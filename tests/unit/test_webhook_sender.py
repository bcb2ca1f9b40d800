"""A delivery's POST goes only where the SSRF guard allows, checked on the address it connects to."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from chalicelib.netguard import Policy
from chalicelib.services.webhook_sender import post

HEADERS = {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,x"}


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection attempted (none is made: the test's names resolve to unreachable places)."""
    made: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        made.append(address)
        raise ConnectionRefusedError("no network in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return made


def _resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.1", "127.0.0.1", "100.100.100.200"])
def test_a_name_that_now_resolves_into_the_service_s_network_is_refused_before_connecting(
        monkeypatch: pytest.MonkeyPatch, connections: list[Any], address: str) -> None:
    _resolving_to(monkeypatch, address)  # it resolved to a public address when the endpoint was made

    outcome = post("https://hooks.example.com/in", b"{}", HEADERS, Policy(), timeout=2)

    assert outcome.refused and not outcome.delivered
    assert outcome.error is not None and address in outcome.error
    assert connections == []


def test_a_public_address_is_connected_to_and_a_failure_is_an_outcome_not_an_exception(
        monkeypatch: pytest.MonkeyPatch, connections: list[Any]) -> None:
    _resolving_to(monkeypatch, "93.184.216.34")

    outcome = post("http://hooks.example.com:8080/in", b"{}", HEADERS, Policy(), timeout=2)

    assert connections == [("93.184.216.34", 8080)]  # the vetted address itself, not the name again
    assert not outcome.refused and outcome.status_code is None
    assert outcome.error is not None and "ConnectionRefusedError" in outcome.error


def test_loopback_is_reached_only_when_the_policy_allows_it(
        monkeypatch: pytest.MonkeyPatch, connections: list[Any]) -> None:
    _resolving_to(monkeypatch, "127.0.0.1")

    assert post("http://localhost:8151/", b"{}", HEADERS, Policy(), timeout=2).refused
    allowed = post("http://localhost:8151/", b"{}", HEADERS, Policy(allow_loopback=True), timeout=2)

    assert not allowed.refused and connections == [("127.0.0.1", 8151)]


def test_only_http_urls_are_posted_to(connections: list[Any]) -> None:
    for url in ("ftp://hooks.example.com/", "file:///etc/passwd", "http:///nohost"):
        assert post(url, b"{}", HEADERS, Policy(), timeout=2).refused
    assert connections == []
