"""Unit tests need no AWS: building any boto3 client fails them (services run on ``tests/fakes``)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a unit test built an AWS client: use tests.fakes.fake_ports")


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse boto3 clients (moto's or real ones) for the whole test."""
    monkeypatch.setattr(boto3.session.Session, "client", _refused)
    monkeypatch.setattr(boto3.session.Session, "resource", _refused)
