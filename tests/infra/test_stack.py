"""The synthesized stack holds what the topology declares, safely configured (CDK assertions)."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Match, Template

from chalicelib import topology
from chalicelib.observability import catalog
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
        assert function["EphemeralStorage"] == {"Size": spec.storage}
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
                 for kind in ("errors", "throttles", "error-rate")]
    expected += [f"{PREFIX}-vendor-429-rate", f"{PREFIX}-batches-stalled"]
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


def test_rate_alarms_divide_errors_by_invocations_and_429s_by_vendor_calls(template: dict[str, Any]) -> None:
    alarms = {a["Properties"]["AlarmName"]: a["Properties"]
              for a in resources(template, "AWS::CloudWatch::Alarm").values()}
    work = alarms[f"{PREFIX}-work-error-rate"]
    names = {q["Id"]: q.get("MetricStat", {}).get("Metric", {}).get("MetricName") for q in work["Metrics"]}
    assert names == {"part": "Errors", "whole": "Invocations", "rate": None}
    assert work["Threshold"] == 5
    vendor = alarms[f"{PREFIX}-vendor-429-rate"]
    stats = {q["Id"]: q["MetricStat"]["Metric"] for q in vendor["Metrics"] if "MetricStat" in q}
    assert (stats["part"]["MetricName"], stats["whole"]["MetricName"]) == ("VendorThrottled", "VendorCalls")
    assert stats["part"]["Namespace"] == "BatchEnrich"
    assert stats["part"]["Dimensions"] == [{"Name": "service", "Value": "batch-enrich"}]
    stalled = alarms[f"{PREFIX}-batches-stalled"]
    assert (stalled["MetricName"], stalled["Statistic"]) == ("BatchesStalled", "Maximum")
    assert stalled["Threshold"] == 1


def test_functions_and_the_api_are_traced_and_may_write_traces(template: dict[str, Any]) -> None:
    roles = _by_name(template, "AWS::IAM::Role", "RoleName")
    for spec in topology.FUNCTIONS:
        assert template["Resources"][logical_id(spec)]["Properties"]["Tracing"] == "Active"
        role = template["Resources"][roles[f"{PREFIX}-{spec.name.replace('_', '-')}"]]
        granted = json.dumps(role["Properties"]["Policies"])
        assert "xray:PutTraceSegments" in granted and "xray:PutTelemetryRecords" in granted
    assert template["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True


def test_the_api_reads_every_queue_and_dlq_depth_for_its_stats(template: dict[str, Any]) -> None:
    roles = _by_name(template, "AWS::IAM::Role", "RoleName")
    queues = _by_name(template, "AWS::SQS::Queue", "QueueName")
    statements = template["Resources"][roles[f"{PREFIX}-api-handler"]]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    watching = [s for s in statements if s["Action"] == ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]]
    (watch,) = watching
    expected = [{"Fn::GetAtt": [queues[f"{PREFIX}-{name}"], "Arn"]}
                for q in topology.QUEUES for name in (q.name, q.dlq_name)]
    assert watch["Resource"] == expected


def test_the_dashboard_shows_every_metric_of_the_catalog_and_every_queue(template: dict[str, Any]) -> None:
    (board,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = board["Properties"]["DashboardBody"]
    text = "".join(part for part in body["Fn::Join"][1] if isinstance(part, str)) if isinstance(
        body, dict) else body
    assert board["Properties"]["DashboardName"] == f"{PREFIX}-operations"
    for spec in catalog.METRICS:
        assert spec.name in text, spec.name
    for queue in topology.QUEUES:
        assert f"{PREFIX}-{queue.dlq_name}" in text
def test_a_tenant_policy_reaches_its_own_inbox_outbox_and_sources_only(template: dict[str, Any]) -> None:
    [policy] = [r["Properties"] for r in template["Resources"].values()
                if r["Type"] == "AWS::IAM::ManagedPolicy"
                and r["Properties"].get("ManagedPolicyName") == f"{PREFIX}-tenant-drop-folder"]
    granted: dict[str, set[str]] = {}
    for statement in policy["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not {"s3:*", "*"} & set(actions)
        if actions == ["s3:ListBucket"]:
            prefixes = statement["Condition"]["StringLike"]["s3:prefix"]
            assert sorted(prefixes) == sorted(f"{p}${{aws:PrincipalTag/tenant_id}}/*"
                                              for p in ("inbox/", "outbox/", "sources/"))
            continue
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in listed:  # {"Fn::Join": ["", [bucket ARN, "/inbox/${aws:PrincipalTag/tenant_id}/*"]]}
            found = re.search(r"/(\w+)/\$\{aws:PrincipalTag/tenant_id\}/\*", json.dumps(resource))
            assert found, resource
            folder = found.group(1)
            for action in actions:
                granted.setdefault(action, set()).add(folder)
    assert granted == {"s3:PutObject": {"inbox", "sources"}, "s3:AbortMultipartUpload": {"inbox", "sources"},
                       "s3:GetObject": {"outbox", "sources"}, "s3:DeleteObject": {"sources"}}


def test_the_tick_finds_due_schedules_by_a_numeric_sparse_index(template: dict[str, Any]) -> None:
    tables = _by_name(template, "AWS::DynamoDB::Table", "TableName")
    table = template["Resources"][tables[f"{PREFIX}-{topology.SCHEDULES_TABLE.name}"]]["Properties"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["KeySchema"] == [{"AttributeName": "due", "KeyType": "HASH"},
                                  {"AttributeName": "next_run_at", "KeyType": "RANGE"}]
    assert {"AttributeName": "next_run_at", "AttributeType": "N"} in table["AttributeDefinitions"]
    roles = _by_name(template, "AWS::IAM::Role", "RoleName")
    granted = json.dumps(template["Resources"][roles[f"{PREFIX}-tick"]]["Properties"]["Policies"])
    assert "/index/due" in granted  # the tick Queries the index, never scans the table
