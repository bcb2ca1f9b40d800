"""Queues with their DLQs, the event source mappings and the schedules, from the topology."""

from __future__ import annotations

from aws_cdk import (
    Duration,
)
from aws_cdk import (
    aws_events as events,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from constructs import Construct

from chalicelib import topology
from chalicelib.settings import Settings

VISIBILITY_FACTOR = 6  # Lambda's advice for SQS event sources: visibility >= 6 x function timeout
DLQ_RETENTION = Duration.days(14)


def queue(scope: Construct, settings: Settings, spec: topology.QueueSpec,
          function: topology.FunctionSpec) -> tuple[sqs.Queue, sqs.Queue]:
    """A declared queue and its DLQ: encrypted, TLS only, redrive after max_receive_count."""
    if spec.visibility_timeout < VISIBILITY_FACTOR * function.timeout:
        raise ValueError(f"queue {spec.name}: visibility {spec.visibility_timeout}s is under "
                         f"{VISIBILITY_FACTOR} x {function.name}'s timeout ({function.timeout}s)")
    dlq = sqs.Queue(scope, f"Dlq-{spec.name}", queue_name=settings.name(spec.dlq_name),
                    encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                    retention_period=DLQ_RETENTION)
    main = sqs.Queue(
        scope, f"Queue-{spec.name}", queue_name=settings.name(spec.name),
        encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
        visibility_timeout=Duration.seconds(spec.visibility_timeout),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count),
    )
    return main, dlq


def allow_bucket_events(main: sqs.Queue, bucket_name: str) -> iam.PolicyStatement:
    """Let S3 send the bucket's notifications to this queue (only that bucket, this account)."""
    statement = iam.PolicyStatement(
        actions=["sqs:SendMessage"], resources=[main.queue_arn],
        principals=[iam.ServicePrincipal("s3.amazonaws.com")],
        conditions={"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket_name}"}},
    )
    main.add_to_resource_policy(statement)
    return statement


def event_source(scope: Construct, spec: topology.QueueSpec, main: sqs.Queue,
                 function_ref: str) -> lambda_.CfnEventSourceMapping:
    """The queue feeding its handler: batch size and concurrency from the spec, partial failures."""
    return lambda_.CfnEventSourceMapping(
        scope, f"Source-{spec.name}", function_name=function_ref, event_source_arn=main.queue_arn,
        batch_size=spec.batch_size, function_response_types=["ReportBatchItemFailures"],
        scaling_config=lambda_.CfnEventSourceMapping.ScalingConfigProperty(
            maximum_concurrency=spec.maximum_concurrency),
    )


def schedule(scope: Construct, settings: Settings, spec: topology.ScheduleSpec,
             function_arn: str) -> events.CfnRule:
    """The declared schedule invoking its handler."""
    unit = "minute" if spec.rate_minutes == 1 else "minutes"
    rule = events.CfnRule(
        scope, f"Schedule-{spec.name}", name=settings.name(spec.name),
        schedule_expression=f"rate({spec.rate_minutes} {unit})",
        targets=[events.CfnRule.TargetProperty(id=spec.handler, arn=function_arn)],
    )
    lambda_.CfnPermission(scope, f"Schedule-{spec.name}-Invoke", action="lambda:InvokeFunction",
                          function_name=function_arn, principal="events.amazonaws.com",
                          source_arn=rule.attr_arn)
    return rule
