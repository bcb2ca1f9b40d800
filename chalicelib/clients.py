"""The one place that builds boto3 clients: lazily, once per process, with retry/timeout config.

Endpoints come from boto3's standard ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_<SERVICE>``
variables, so the same code talks to AWS and to the local emulator without a branch.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
)


class Clients:
    """Lazily built boto3 clients sharing one session."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()

    @cached_property
    def _session(self) -> boto3.session.Session:
        return boto3.session.Session(region_name=self._settings.region)

    @cached_property
    def dynamodb(self) -> DynamoDBClient:
        """The DynamoDB client."""
        with self._lock:
            return self._session.client("dynamodb", config=_CONFIG)

    @cached_property
    def s3(self) -> S3Client:
        """The S3 client."""
        with self._lock:
            return self._session.client("s3", config=_CONFIG)

    @cached_property
    def s3_signer(self) -> S3Client:
        """An S3 client that signs presigned POSTs with SigV4 (boto3 would use SigV2 for them)."""
        with self._lock:
            return self._session.client("s3", config=_CONFIG.merge(Config(signature_version="s3v4")))

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        """The Secrets Manager client (only where a secret is configured)."""
        with self._lock:
            return self._session.client("secretsmanager", config=_CONFIG)

    @cached_property
    def sqs(self) -> SQSClient:
        """The SQS client."""
        with self._lock:
            return self._session.client("sqs", config=_CONFIG)


_clients: Clients | None = None


def get_clients() -> Clients:
    """The process-wide clients (built on first use, never at import)."""
    global _clients
    if _clients is None:
        _clients = Clients(get_settings())
    return _clients


def reset_clients() -> None:
    """Forget built clients and settings (tests and the local runtime change the environment)."""
    global _clients
    _clients = None
    get_settings.cache_clear()
