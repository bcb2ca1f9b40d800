"""The stack of one stage: every resource ``chalicelib.topology`` declares, and nothing it does not."""

from __future__ import annotations

from typing import Any

from aws_cdk import (
    CfnOutput,
    Fn,
    RemovalPolicy,
    SecretValue,
    Stack,
)
from aws_cdk import (
    aws_dynamodb as dynamodb,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_secretsmanager as secretsmanager,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from constructs import Construct

from chalicelib import topology
from chalicelib.settings import Settings
from infra import alarms, dashboard, functions, messaging, storage, tenants
from infra.naming import function_name, stage_settings


class StackArns:
    """The ARNs of this stack's resources, as CloudFormation references."""

    def __init__(self, tables: dict[str, dynamodb.Table], queues: dict[str, sqs.Queue], data: s3.Bucket,
                 secrets: dict[str, secretsmanager.Secret]) -> None:
        self._tables, self._queues, self._data, self._secrets = tables, queues, data, secrets

    def table(self, spec: topology.TableSpec) -> str:
        """A table's ARN."""
        return self._tables[spec.name].table_arn

    def queue(self, name: str) -> str:
        """A queue's or DLQ's ARN."""
        return self._queues[name].queue_arn

    def bucket(self) -> str:
        """The data bucket's ARN."""
        return self._data.bucket_arn

    def secret(self, spec: topology.SecretSpec) -> str:
        """A secret's ARN."""
        return self._secrets[spec.name].secret_arn


def _secret(scope: Construct, settings: Settings, spec: topology.SecretSpec,
            removal: RemovalPolicy) -> secretsmanager.Secret:
    kwargs: dict[str, Any] = (
        {"generate_secret_string": secretsmanager.SecretStringGenerator(
            exclude_punctuation=True, password_length=48)}
        if spec.generated else {"secret_string_value": SecretValue.unsafe_plain_text("{}")})
    built = secretsmanager.Secret(scope, f"Secret-{spec.name}", secret_name=settings.name(spec.name),
                                  description=f"batch-enrich {spec.name}", **kwargs)
    built.apply_removal_policy(removal)
    return built


class BatchEnrichStack(Stack):
    """batch-enrich for one stage: tables, bucket, queues, functions, API, schedule, alarms."""

    def __init__(self, scope: Construct, stage: str, retain_data: bool = False,
                 log_retention_days: int = 30, **kwargs: Any) -> None:
        settings = stage_settings(stage)
        super().__init__(scope, settings.resource_prefix, **kwargs)
        removal = RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY
        tables = {t.name: storage.table(self, settings, t, removal) for t in topology.TABLES}
        data = storage.bucket(self, settings, removal)
        specs = {f.name: f for f in topology.FUNCTIONS}
        queues: dict[str, sqs.Queue] = {}
        for spec in topology.QUEUES:
            queues[spec.name], queues[spec.dlq_name] = messaging.queue(self, settings, spec,
                                                                       specs[spec.handler])
        self._notifications(settings, data, queues)
        drop_folder = tenants.drop_folder_policy(self, settings, data)
        secrets = {s.name: _secret(self, settings, s, removal) for s in topology.SECRETS}
        arns = StackArns(tables, queues, data, secrets)
        topic = alarms.topic(self, settings)
        groups = {f.name: functions.log_group(self, settings, f, log_retention_days, RemovalPolicy.DESTROY)
                  for f in topology.FUNCTIONS}
        roles = {f.name: functions.role(self, settings, f, arns, groups[f.name]) for f in topology.FUNCTIONS}
        env = functions.environment(settings, {s.name: settings.name(s.name) for s in topology.SECRETS})
        app = functions.chalice_app(self, env, roles[topology.API.name].role_arn)
        functions.trace_api(app)
        built = {}
        for function in topology.FUNCTIONS:
            built[function.name] = functions.configure(app, settings, function, roles[function.name],
                                                       groups[function.name])
            alarms.function_alarms(self, settings, function, function_name(settings, function.name), topic)
            alarms.error_rate_alarm(self, settings, function, function_name(settings, function.name), topic)
        for queue in topology.QUEUES:
            messaging.event_source(self, queue, queues[queue.name], built[queue.handler].ref)
            alarms.queue_alarms(self, settings, queue, topic)
        for schedule in topology.SCHEDULES:
            messaging.schedule(self, settings, schedule, built[schedule.handler].get_att("Arn").to_string())
        alarms.service_alarms(self, settings, topic)
        board = dashboard.dashboard(self, settings)
        self._outputs(data, secrets, topic.topic_arn)
        CfnOutput(self, "DashboardName", value=board.dashboard_name)
        CfnOutput(self, "TenantDropFolderPolicy", value=drop_folder.managed_policy_arn)

    def _notifications(self, settings: Settings, data: s3.Bucket, queues: dict[str, sqs.Queue]) -> None:
        """S3 may send to the notified queues before the bucket names them (S3 checks on create)."""
        bucket = data.node.default_child
        assert isinstance(bucket, s3.CfnBucket)
        for name in {n.queue for n in topology.NOTIFICATIONS}:
            messaging.allow_bucket_events(queues[name], settings.bucket)
            policy = queues[name].node.find_child("Policy").node.default_child
            assert isinstance(policy, sqs.CfnQueuePolicy)
            bucket.node.add_dependency(policy)
        storage.notify(data, {name: queue.queue_arn for name, queue in queues.items()})

    def _outputs(self, data: s3.Bucket, secrets: dict[str, secretsmanager.Secret], topic: str) -> None:
        CfnOutput(self, "ApiUrl", value=Fn.sub("https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"))
        CfnOutput(self, "BucketName", value=data.bucket_name)
        CfnOutput(self, "AdminKeySecret", value=secrets[topology.ADMIN_KEY.name].secret_name)
        CfnOutput(self, "VendorSecrets", value=secrets[topology.VENDOR_SECRETS.name].secret_name)
        CfnOutput(self, "AlarmTopic", value=topic)
