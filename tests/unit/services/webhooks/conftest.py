"""Webhooks on the fakes: a clock that moves as real time does, and queues whose delays count on it."""

from __future__ import annotations

import time

import pytest

from chalicelib.services.ports import Clock, Ports
from chalicelib.settings import get_settings
from tests.fakes import fake_ports
from tests.helpers import Ticking


@pytest.fixture
def ticking() -> Ticking:
    """Now, moving as the fakes read it: receivers check the signed timestamp against their clock."""
    return Ticking(time.time())


@pytest.fixture
def ports(ticking: Ticking) -> Ports:
    """The fakes, with queues whose delays run on the test's clock."""
    return fake_ports(get_settings(), Clock(epoch=ticking, sleep=lambda _: None), queue_clock=ticking)
