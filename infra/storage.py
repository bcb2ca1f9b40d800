"""Tables and the data bucket, from ``topology.TABLES``, ``topology.EXPIRIES`` and the notifications."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib import topology
from chalicelib.settings import Settings


def _attribute(name: str, numeric: bool = False) -> dynamodb.Attribute:
    kind = dynamodb.AttributeType.NUMBER if numeric else dynamodb.AttributeType.STRING
    return dynamodb.Attribute(name=name, type=kind)


def table(scope: Construct, settings: Settings, spec: topology.TableSpec,
          removal: RemovalPolicy) -> dynamodb.Table:
    """One declared table: on demand, point-in-time recovery, TTL, its indexes."""
    built = dynamodb.Table(
        scope, f"Table-{spec.name}", table_name=settings.name(spec.name),
        partition_key=_attribute(spec.hash_key),
        sort_key=_attribute(spec.range_key, spec.range_key_numeric) if spec.range_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True),
        time_to_live_attribute=spec.ttl_attribute,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        removal_policy=removal,
    )
    for name, range_key in spec.local_indexes:
        built.add_local_secondary_index(index_name=name, sort_key=_attribute(range_key))
    for index in spec.global_indexes:
        built.add_global_secondary_index(
            index_name=index.name, partition_key=_attribute(index.hash_key),
            sort_key=_attribute(index.range_key, index.range_key_numeric) if index.range_key else None,
            projection_type=dynamodb.ProjectionType.KEYS_ONLY if index.keys_only
            else dynamodb.ProjectionType.ALL)
    return built


def lifecycle_rules(settings: Settings) -> list[s3.LifecycleRule]:
    """A rule per declared expiry whose setting is not 0; unfinished multipart uploads go after a day."""
    rules = [s3.LifecycleRule(id="abort-incomplete-uploads",
                              abort_incomplete_multipart_upload_after=Duration.days(1))]
    for expiry in topology.EXPIRIES:
        days = int(getattr(settings, expiry.days_setting))
        if days:
            rules.append(s3.LifecycleRule(id=f"expire-{expiry.prefix.strip('/')}", prefix=expiry.prefix,
                                          expiration=Duration.days(days)))
    return rules


def bucket(scope: Construct, settings: Settings, removal: RemovalPolicy) -> s3.Bucket:
    """The data bucket: encrypted, private, TLS only, with the declared lifecycle rules."""
    return s3.Bucket(
        scope, "Data", bucket_name=settings.bucket,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=lifecycle_rules(settings),
        removal_policy=removal,
        auto_delete_objects=removal == RemovalPolicy.DESTROY,
    )


def notify(data: s3.Bucket, queue_arns: dict[str, str]) -> None:
    """S3 object-created events under every declared prefix go to the declared queue.

    Written on the bucket itself (CloudFormation's NotificationConfiguration) rather than CDK's
    custom resource, whose handler needs ``s3:PutBucketNotification`` on every bucket.
    """
    cfn = data.node.default_child
    assert isinstance(cfn, s3.CfnBucket)
    cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        queue_configurations=[
            s3.CfnBucket.QueueConfigurationProperty(
                event="s3:ObjectCreated:*", queue=queue_arns[n.queue],
                filter=s3.CfnBucket.NotificationFilterProperty(
                    s3_key=s3.CfnBucket.S3KeyFilterProperty(
                        rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=n.prefix)])))
            for n in topology.NOTIFICATIONS
        ])
