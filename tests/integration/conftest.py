"""Fixtures of the API tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.local.emulator import Emulator
from chalicelib.services.ports import Clock
from tests.api_client import Http, chalice_transport
from tests.conftest import Aws


@pytest.fixture
def http(aws: Aws) -> Iterator[Http]:
    """A test client of the app, made once moto is up; batch ids strictly increase with time."""
    ticks = itertools.count()
    aws.ports.clock = Clock(epoch=lambda: 1_760_000_000.0 + next(ticks) * 0.01, sleep=lambda _: None)
    with Client(app) as client:
        yield Http(chalice_transport(client))


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The embedded emulator (moto's server with our fixes) in a process of its own, per module."""
    started = Emulator().start()
    yield started
    started.stop()
