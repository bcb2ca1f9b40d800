"""Unit tests need no AWS: building any boto3 client fails them (services run on ``tests/fakes``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.observability import metrics


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a unit test built an AWS client: use tests.fakes.fake_ports")


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse boto3 clients (moto's or real ones) for the whole test."""
    monkeypatch.setattr(boto3.session.Session, "client", _refused)
    monkeypatch.setattr(boto3.session.Session, "resource", _refused)


@pytest.fixture
def written() -> Iterator[list[dict[str, Any]]]:
    """The EMF objects the invocations of a test write (instead of standard output)."""
    lines: list[dict[str, Any]] = []
    metrics.emit_to(lines.append)
    yield lines
    metrics.emit_to(metrics.to_stdout)
