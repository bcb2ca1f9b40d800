"""Every contract test runs twice: on the in-memory fakes and on the boto3 adapters against moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.services.ports import Clock, Ports
from chalicelib.settings import get_settings
from tests.conftest import fresh_aws
from tests.fakes import fake_ports

NOW = "2025-10-31T23:00:00.000+00:00"


@pytest.fixture(params=["fake", "moto"])
def ports(request: pytest.FixtureRequest) -> Iterator[Ports]:
    """The ports of one implementation: fakes, or the adapters on a provisioned moto."""
    if request.param == "fake":
        yield fake_ports(get_settings(), Clock(sleep=lambda _: None))
        return
    with fresh_aws() as aws:
        yield aws.ports
