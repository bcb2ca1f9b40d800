"""A tenant's own doors into the bucket: write its ``inbox/`` and ``sources/`` folders, read its
``outbox/`` and ``sources/``, no more.

One managed policy for every tenant: it scopes each statement with the caller's
``tenant_id`` principal tag, so an IAM user or role tagged ``tenant_id=t_…`` with this policy
attached can drop files under ``inbox/t_…/``, read the answers under ``outbox/t_…/`` and keep the
files its schedules read under ``sources/t_…/`` only (README: "Big files", "Schedules"). Nothing
else of the bucket is reachable with it.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib import keys
from chalicelib.settings import Settings

TAG = "${aws:PrincipalTag/tenant_id}"


def drop_folder_policy(scope: Construct, settings: Settings, data: s3.Bucket) -> iam.ManagedPolicy:
    """The policy a tenant's IAM user or role gets (with its ``tenant_id`` tag)."""
    inbox, outbox = f"{keys.INBOX_PREFIX}{TAG}/", f"{keys.OUTBOX_PREFIX}{TAG}/"
    sources = f"{keys.SOURCES_PREFIX}{TAG}/"
    return iam.ManagedPolicy(
        scope, "TenantDropFolder", managed_policy_name=settings.name("tenant-drop-folder"),
        description="Attach to a tenant's IAM user or role tagged tenant_id=<its tenant id>",
        statements=[
            iam.PolicyStatement(actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                                resources=[data.arn_for_objects(f"{inbox}*"),
                                           data.arn_for_objects(f"{sources}*")]),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[data.arn_for_objects(f"{outbox}*"),
                                                                     data.arn_for_objects(f"{sources}*")]),
            # a schedule's source file may be replaced or removed (it is read again at each run)
            iam.PolicyStatement(actions=["s3:DeleteObject"], resources=[data.arn_for_objects(f"{sources}*")]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[data.bucket_arn],
                                conditions={"StringLike": {"s3:prefix": [f"{inbox}*", f"{outbox}*",
                                                                         f"{sources}*"]}}),
        ])
