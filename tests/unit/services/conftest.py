"""Unit tests of the services: every port is an in-memory fake (no moto, no network)."""

from __future__ import annotations

import pytest

from chalicelib.services.ports import Clock, Ports
from chalicelib.settings import get_settings
from tests.fakes import fake_ports
from tests.helpers import Ticking

START = 1_760_000_000.0  # 2025-10-09, UTC


@pytest.fixture
def ticking() -> Ticking:
    """The fakes' clock: 10 ms a reading, batch ids strictly increasing."""
    return Ticking(START)


@pytest.fixture
def ports(ticking: Ticking) -> Ports:
    """Fresh fakes behind every port."""
    return fake_ports(get_settings(), Clock(epoch=ticking, sleep=lambda _: None))
