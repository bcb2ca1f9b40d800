"""Every AWS call the handlers make, as (function, IAM action, resource ARN, S3 prefix), checked
against the IAM statements ``infra/permissions.py`` derives from each ``FunctionSpec``.

A call is attributed to the function running it: the API's routes, a queue's handler (its event
source mapping's receives and deletes run under the function's role on AWS too), the tick.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from chalicelib import topology
from chalicelib.clients import Clients
from chalicelib.settings import Settings
from infra.permissions import Statement

ACCOUNT, REGION = "123456789012", "us-east-1"
_BATCHED = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
            "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_S3 = {"HeadObject": "GetObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
       "CompleteMultipartUpload": "PutObject", "ListParts": "ListMultipartUploadParts",
       "AbortMultipartUpload": "AbortMultipartUpload", "ListObjectsV2": "ListBucket",
       "ListObjects": "ListBucket"}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
             "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


@dataclass(frozen=True)
class Call:
    """One permission a call needed."""

    function: str
    action: str
    resource: str
    prefix: str | None = None


class StackArns:
    """ARNs of the physical resources as the stack would name them, in a fixed account."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def table(self, spec: topology.TableSpec) -> str:
        """A table's ARN."""
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self._settings.name(spec.name)}"

    def queue(self, name: str) -> str:
        """A queue's ARN by logical name."""
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self._settings.name(name)}"

    def bucket(self) -> str:
        """The bucket's ARN."""
        return f"arn:aws:s3:::{self._settings.bucket}"

    def secret(self, spec: topology.SecretSpec) -> str:
        """A secret's ARN (the name the functions are given)."""
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{self._settings.name(spec.name)}"


class AccessLog:
    """Records the calls made while a function runs (``with log.running("work"):``)."""

    def __init__(self, clients: Clients, settings: Settings) -> None:
        self.calls: list[Call] = []
        self.function: str | None = None
        self._arns = StackArns(settings)
        self._secrets = {self._settings_secret(settings, s): s for s in topology.SECRETS}
        for client in (clients.dynamodb, clients.sqs, clients.s3, clients.secretsmanager):
            client.meta.events.register("before-parameter-build.*.*", self._record)

    @staticmethod
    def _settings_secret(settings: Settings, spec: topology.SecretSpec) -> str:
        return str(getattr(settings, spec.setting))

    @contextmanager
    def running(self, function: str) -> Iterator[None]:
        """Attribute the calls made inside to ``function``."""
        before, self.function = self.function, function
        try:
            yield
        finally:
            self.function = before

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.function is None:
            return  # the test's own set-up and checks
        service = model.service_model.service_name
        for action, resource, prefix in getattr(self, f"_{service}")(model.name, params):
            self.calls.append(Call(self.function, action, resource, prefix))

    def _dynamodb(self, op: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        if op.startswith("Transact"):
            return [(f"dynamodb:{_TRANSACT[kind]}", self._table(spec["TableName"]), None)
                    for item in params["TransactItems"] for kind, spec in item.items()]
        if op.startswith("Batch"):
            return [(f"dynamodb:{op}", self._table(name), None) for name in params["RequestItems"]]
        resource = self._table(params["TableName"])
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        return [(f"dynamodb:{op}", resource, None)]

    def _table(self, name: str) -> str:
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    def _sqs(self, op: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        name = params.get("QueueName") or params["QueueUrl"].rsplit("/", 1)[-1]
        return [(f"sqs:{_BATCHED.get(op, op)}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", None)]

    def _s3(self, op: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if op.startswith("ListObjects"):
            return [("s3:ListBucket", bucket, params.get("Prefix", ""))]
        found: list[tuple[str, str, str | None]] = [
            (f"s3:{_S3.get(op, op)}", f"{bucket}/{params['Key']}", None)]
        if op == "CopyObject":
            source = params["CopySource"]
            source = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else unquote(source)
            found = [("s3:PutObject", f"{bucket}/{params['Key']}", None),
                     ("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/')}", None)]
        return found

    def _secrets_manager(self, op: str, params: dict[str, Any]) -> list[tuple[str, str, str | None]]:
        spec = self._secrets.get(params["SecretId"])
        resource = self._arns.secret(spec) if spec else f"unknown-secret:{params['SecretId']}"
        return [(f"secretsmanager:{op}", resource, None)]

    _secretsmanager = _secrets_manager


def allowed(call: Call, granted: list[Statement]) -> bool:
    """Whether one of the statements allows the call (resources as IAM wildcards, s3:prefix)."""
    for statement in granted:
        if call.action not in statement.actions:
            continue
        if not any(fnmatch.fnmatchcase(call.resource, pattern) for pattern in statement.resources):
            continue
        wanted = statement.condition.get("StringLike", {}).get("s3:prefix")
        if wanted is not None and not any(fnmatch.fnmatchcase(call.prefix or "", p) for p in wanted):
            continue
        return True
    return False
