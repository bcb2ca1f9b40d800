"""Each function's IAM statements, derived from its ``FunctionSpec``: the actions it uses, on its resources.

Pure Python (no CDK): the stack turns these into policy statements with CloudFormation references,
and tests check them against every call the handlers make (tests/integration/test_access.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib import topology

TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
              "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable")
TABLE_WRITE = (*TABLE_READ, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
               "dynamodb:BatchWriteItem")
QUEUE_SEND = ("sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")
QUEUE_WATCH = ("sqs:GetQueueUrl", "sqs:GetQueueAttributes")
QUEUE_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                 "sqs:GetQueueUrl", "sqs:GetQueueAttributes")
OBJECT_READ = ("s3:GetObject",)  # HeadObject and presigned GETs need GetObject too
# ListParts (finalize completes its uploads with the parts S3 lists) is its own action
OBJECT_WRITE = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
SECRET_READ = ("secretsmanager:GetSecretValue",)
LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")  # active tracing


class Arns(Protocol):
    """The ARNs of the physical resources (CloudFormation references in the stack)."""

    def table(self, spec: topology.TableSpec) -> str:
        """A table's ARN."""

    def queue(self, name: str) -> str:
        """The ARN of a queue or DLQ, by logical name."""

    def bucket(self) -> str:
        """The data bucket's ARN."""

    def secret(self, spec: topology.SecretSpec) -> str:
        """A secret's ARN."""


@dataclass(frozen=True)
class Statement:
    """One Allow statement."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, Any] = field(default_factory=dict)


def consumed_queues(function: topology.FunctionSpec) -> tuple[topology.QueueSpec, ...]:
    """The queues whose event source mapping feeds this function."""
    return tuple(q for q in topology.QUEUES if q.handler == function.name)


def statements(function: topology.FunctionSpec, arns: Arns) -> list[Statement]:
    """Every statement the function's role needs, and nothing more (logs are the stack's)."""
    found: list[Statement] = []
    for actions, tables in ((TABLE_WRITE, function.writes),
                            (TABLE_READ, tuple(t for t in function.reads if t not in function.writes))):
        resources = [arn for table in tables for arn in _table_arns(table, arns)]
        if resources:
            found.append(Statement(actions, tuple(resources)))
    consumed = consumed_queues(function)
    if consumed or function.dead_letters:
        names = [q.name for q in consumed] + [q.dlq_name for q in function.dead_letters]
        found.append(Statement(QUEUE_CONSUME, tuple(arns.queue(name) for name in names)))
    if function.sends:
        found.append(Statement(QUEUE_SEND, tuple(arns.queue(q.name) for q in function.sends)))
    if function.watches:
        found.append(Statement(QUEUE_WATCH, tuple(arns.queue(name) for q in function.watches
                                                  for name in (q.name, q.dlq_name))))
    found += _object_statements(function, arns)
    if function.secrets:
        found.append(Statement(SECRET_READ, tuple(arns.secret(s) for s in function.secrets)))
    return found


def _table_arns(table: topology.TableSpec, arns: Arns) -> list[str]:
    arn = arns.table(table)
    return [arn, *(f"{arn}/index/{name}" for name in table.index_names)]


def _object_statements(function: topology.FunctionSpec, arns: Arns) -> list[Statement]:
    bucket = arns.bucket()
    found = []
    if function.reads_objects:
        found.append(Statement(OBJECT_READ, tuple(f"{bucket}/{p}*" for p in function.reads_objects)))
        found.append(Statement(("s3:ListBucket",), (bucket,),
                               {"StringLike": {"s3:prefix": [f"{p}*" for p in function.reads_objects]}}))
    if function.writes_objects:
        found.append(Statement(OBJECT_WRITE, tuple(f"{bucket}/{p}*" for p in function.writes_objects)))
    return found
