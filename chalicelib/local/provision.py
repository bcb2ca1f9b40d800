"""Create the declared tables, queues (with DLQs and redrive), bucket and S3 notifications."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import topology
from chalicelib.clients import Clients
from chalicelib.settings import Settings


def provision(clients: Clients, settings: Settings) -> dict[str, str]:
    """Create every declared resource (idempotent); returns queue name -> URL."""
    for table in topology.TABLES:
        _create_table(clients, settings.name(table.name), table)
    urls = {}
    for queue in topology.QUEUES:
        urls[queue.name] = _create_queue(clients, settings, queue)
    _create_bucket(clients, settings)
    _expire_objects(clients, settings)
    return urls


def _create_table(clients: Clients, name: str, spec: topology.TableSpec) -> None:
    keys: list[Any] = [{"AttributeName": spec.hash_key, "KeyType": "HASH"}]
    attributes: list[Any] = [{"AttributeName": spec.hash_key, "AttributeType": "S"}]
    if spec.range_key:
        keys.append({"AttributeName": spec.range_key, "KeyType": "RANGE"})
        kind = "N" if spec.range_key_numeric else "S"
        attributes.append({"AttributeName": spec.range_key, "AttributeType": kind})
    extra: dict[str, Any] = {}
    for index, key in spec.local_indexes:
        _define(attributes, key, "S")
        extra.setdefault("LocalSecondaryIndexes", []).append({
            "IndexName": index,
            "KeySchema": [{"AttributeName": spec.hash_key, "KeyType": "HASH"},
                          {"AttributeName": key, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        })
    for gsi in spec.global_indexes:
        schema: list[Any] = [{"AttributeName": gsi.hash_key, "KeyType": "HASH"}]
        _define(attributes, gsi.hash_key, "S")
        if gsi.range_key:
            schema.append({"AttributeName": gsi.range_key, "KeyType": "RANGE"})
            _define(attributes, gsi.range_key, "N" if gsi.range_key_numeric else "S")
        extra.setdefault("GlobalSecondaryIndexes", []).append(
            {"IndexName": gsi.name, "KeySchema": schema,
             "Projection": {"ProjectionType": "KEYS_ONLY" if gsi.keys_only else "ALL"}})
    try:
        clients.dynamodb.create_table(TableName=name, KeySchema=keys,
                                      AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST",
                                      **extra)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    if spec.ttl_attribute:
        clients.dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": spec.ttl_attribute})


def _define(attributes: list[Any], name: str, kind: str) -> None:
    """Declare a key attribute once (a table's and its indexes' keys may share one)."""
    if all(a["AttributeName"] != name for a in attributes):
        attributes.append({"AttributeName": name, "AttributeType": kind})


def _create_queue(clients: Clients, settings: Settings, spec: topology.QueueSpec) -> str:
    sqs = clients.sqs
    dlq_url = sqs.create_queue(QueueName=settings.name(spec.dlq_name))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
               "maxReceiveCount": str(spec.max_receive_count)}
    attributes: Any = {"VisibilityTimeout": str(spec.visibility_timeout),
                  "RedrivePolicy": json.dumps(redrive)}
    return sqs.create_queue(QueueName=settings.name(spec.name), Attributes=attributes)["QueueUrl"]


def _create_bucket(clients: Clients, settings: Settings) -> None:
    s3 = clients.s3
    try:
        s3.create_bucket(Bucket=settings.bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    configs: list[Any] = []
    for notification in topology.NOTIFICATIONS:
        url = clients.sqs.get_queue_url(QueueName=settings.name(notification.queue))["QueueUrl"]
        arn = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        configs.append({
            "QueueArn": arn["Attributes"]["QueueArn"],
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": notification.prefix}]}},
        })
    s3.put_bucket_notification_configuration(
        Bucket=settings.bucket, NotificationConfiguration={"QueueConfigurations": configs}
    )


def _expire_objects(clients: Clients, settings: Settings) -> None:
    """The declared expiries as lifecycle rules, and unfinished multipart uploads aborted after a
    day, as ``infra/storage.py`` declares them (the emulator keeps them; AWS applies them)."""
    rules: list[Any] = [{"ID": "abort-incomplete-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
                         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]
    for expiry in topology.EXPIRIES:
        days = int(getattr(settings, expiry.days_setting))
        if days:
            rules.append({"ID": f"expire-{expiry.prefix.strip('/')}", "Status": "Enabled",
                          "Filter": {"Prefix": expiry.prefix}, "Expiration": {"Days": days}})
    clients.s3.put_bucket_lifecycle_configuration(
        Bucket=settings.bucket, LifecycleConfiguration={"Rules": rules})
