"""Fixtures of the API tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from chalice.test import Client

from app import app
from chalicelib.clients import get_clients, reset_clients
from chalicelib.local.emulator import Emulator
from chalicelib.services.ports import Clock
from tests.api_client import Http, chalice_transport
from tests.conftest import Aws

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


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


@pytest.fixture
def db(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> DynamoDBClient:
    """A DynamoDB client of the emulator with two empty tables: ``plain`` (hash key ``k``) and
    ``ranged`` (``h`` + ``r``)."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    reset_clients()
    client = get_clients().dynamodb
    for table in client.list_tables()["TableNames"]:
        client.delete_table(TableName=table)
    client.create_table(TableName="plain", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    client.create_table(TableName="ranged", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "h", "KeyType": "HASH"},
                                   {"AttributeName": "r", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"},
                                              {"AttributeName": "r", "AttributeType": "N"}])
    return client
