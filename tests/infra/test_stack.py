"""The synthesized stack holds what the topology declares, safely configured (CDK assertions)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match, Template

from chalicelib import topology
from chalicelib.settings import Settings
from infra.functions import logical_id
from tests.infra.conftest import resources

PREFIX = "batch-enrich-dev"
DATA_SERVICES = ("dynamodb:", "s3:", "sqs:")


def _by_name(template: dict[str, Any], kind: str, prop: str) -> dict[str, str]:
    return {v["Properties"][prop]: k for k, v in resources(template, kind).items() if prop in v["Properties"]}


def test_every_table_is_on_demand_with_recovery_ttl_and_its_indexes(template: dict[str, Any]) -> None:
    cdk = Template.from_json(template)
    cdk.resource_count_is("AWS::DynamoDB::Table", len(topology.TABLES))
    for spec in topology.TABLES:
        expected: dict[str, Any] = {
            "TableName": f"{PREFIX}-{spec.name}", "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        }
        if spec.ttl_attribute:
            expected["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute, "Enabled": True}
        for name, _ in spec.local_indexes:
            expected["LocalSecondaryIndexes"] = Match.array_with([Match.object_like({"IndexName": name})])
        for index in spec.global_indexes:
            projection = "KEYS_ONLY" if index.keys_only else "ALL"
            expected["GlobalSecondaryIndexes"] = Match.array_with([Match.object_like(
                {"IndexName": index.name, "Projection": {"ProjectionType": projection}})])
        cdk.has_resource_properties("AWS::DynamoDB::Table", expected)


def test_every_queue_has_an_encrypted_dlq_and_visibility_of_six_function_timeouts(
        template: dict[str, Any]) -> None:
    queues = _by_name(template, "AWS::SQS::Queue", "QueueName")
    functions = {f.name: f for f in topology.FUNCTIONS}
    for spec in topology.QUEUES:
        props = template["Resources"][queues[f"{PREFIX}-{spec.name}"]]["Properties"]
        dlq = queues[f"{PREFIX}-{spec.dlq_name}"]
        assert props["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                                          "maxReceiveCount": spec.max_receive_count}
        assert props["SqsManagedSseEnabled"] is True
        assert template["Resources"][dlq]["Properties"]["SqsManagedSseEnabled"] is True
        timeout = template["Resources"][logical_id(functions[spec.handler])]["Properties"]["Timeout"]
        assert props["VisibilityTimeout"] == spec.visibility_timeout >= 6 * timeout


def test_every_queue_feeds_its_handler_reporting_batch_item_failures(template: dict[str, Any]) -> None:
    queues = _by_name(template, "AWS::SQS::Queue", "QueueName")
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(topology.QUEUES)
    for spec in topology.QUEUES:
        source = {"Fn::GetAtt": [queues[f"{PREFIX}-{spec.name}"], "Arn"]}
        (mapping,) = [m["Properties"] for m in mappings.values()
                      if m["Properties"]["EventSourceArn"] == source]
        assert mapping["FunctionName"] == {"Ref": logical_id(next(
            f for f in topology.FUNCTIONS if f.name == spec.handler))}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == spec.batch_size
        assert mapping["ScalingConfig"] == {"MaximumConcurrency": spec.maximum_concurrency}
    # Chalice's own event sources (queue names without the stage) are replaced by these.
    for function in resources(template, "AWS::Serverless::Function").values():
        assert "Events" not in function["Properties"]


def test_no_statement_grants_data_actions_on_every_resource(template: dict[str, Any]) -> None:
    found = 0
    for logical, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
        documents += [props["PolicyDocument"]] if "PolicyDocument" in props else []
        for statement in (s for d in documents for s in d["Statement"]):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = statement.get("Resource", [])
            targets = targets if isinstance(targets, list) else [targets]
            data = [a for a in actions if a.startswith(DATA_SERVICES)]
            found += len(data)
            assert not (data and "*" in targets), (logical, statement)
    assert found > 20  # the check saw the functions' grants


def test_each_function_has_its_own_role_granting_what_its_spec_declares(
        template: dict[str, Any]) -> None:
    roles = _by_name(template, "AWS::IAM::Role", "RoleName")
    for spec in topology.FUNCTIONS:
        name = f"{PREFIX}-{spec.name.replace('_', '-')}"
        function = template["Resources"][logical_id(spec)]["Properties"]
        assert function["FunctionName"] == name
        assert function["Role"] == {"Fn::GetAtt": [roles[name], "Arn"]}
        assert (function["Timeout"], function["MemorySize"]) == (spec.timeout, spec.memory)
        granted = json.dumps(template["Resources"][roles[name]]["Properties"]["Policies"])
        for table in topology.TABLES:
            declared = table in spec.reads or table in spec.writes
            assert (f"Table{table.name.replace('-', '')}" in granted) == declared, (spec.name, table.name)


def test_the_bucket_is_private_encrypted_tls_only_with_lifecycle_and_notifications(
        template: dict[str, Any]) -> None:
    cdk = Template.from_json(template)
    queues = _by_name(template, "AWS::SQS::Queue", "QueueName")
    settings = Settings()
    rules = [Match.object_like({"Prefix": e.prefix, "ExpirationInDays": getattr(settings, e.days_setting)})
             for e in topology.EXPIRIES]
    cdk.has_resource_properties("AWS::S3::Bucket", {
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
        "LifecycleConfiguration": {"Rules": Match.array_with(rules)},
        "NotificationConfiguration": {"QueueConfigurations": [
            {"Event": "s3:ObjectCreated:*", "Queue": {"Fn::GetAtt": [queues[f"{PREFIX}-{n.queue}"], "Arn"]},
             "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": n.prefix}]}}}
            for n in topology.NOTIFICATIONS]},
    })
    cdk.has_resource_properties("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}})


def test_alarms_watch_every_dlq_function_and_queue_age_on_the_topic(template: dict[str, Any]) -> None:
    alarms = {a["Properties"]["AlarmName"]: a["Properties"]
              for a in resources(template, "AWS::CloudWatch::Alarm").values()}
    (topic,) = resources(template, "AWS::SNS::Topic")
    expected = [f"{PREFIX}-{q.dlq_name}-messages" for q in topology.QUEUES]
    expected += [f"{PREFIX}-{q.name}-oldest-message" for q in topology.QUEUES]
    expected += [f"{PREFIX}-{f.name.replace('_', '-')}-{kind}" for f in topology.FUNCTIONS
                 for kind in ("errors", "throttles")]
    assert sorted(alarms) == sorted(expected)
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic}]
    assert alarms[f"{PREFIX}-work-dlq-messages"]["Threshold"] == 1
    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_the_tick_runs_on_its_schedule_and_secrets_reach_functions_by_name_only(
        template: dict[str, Any]) -> None:
    cdk = Template.from_json(template)
    for spec in topology.SCHEDULES:
        cdk.has_resource_properties("AWS::Events::Rule", {
            "Name": f"{PREFIX}-{spec.name}", "ScheduleExpression": f"rate({spec.rate_minutes} minute)",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [spec.handler.capitalize(), "Arn"]}})]})
    for function in topology.FUNCTIONS:
        env = template["Resources"][logical_id(function)]["Properties"]["Environment"]["Variables"]
        assert env["BATCH_ENRICH_RESOURCE_PREFIX"] == PREFIX
        assert env["BATCH_ENRICH_ADMIN_API_KEY_SECRET"] == f"{PREFIX}-admin-api-key"
        assert env["BATCH_ENRICH_PARTIAL_BATCH_RESPONSES"] == "true"
        assert "BATCH_ENRICH_ADMIN_API_KEY" not in env
    cdk.has_resource_properties("AWS::SecretsManager::Secret", {
        "Name": f"{PREFIX}-admin-api-key", "GenerateSecretString": Match.object_like({})})
