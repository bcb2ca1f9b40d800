"""A tenant's own door into the bucket: write its ``inbox/`` folder, read its ``outbox/``, no more.

One managed policy for every tenant: it scopes each statement with the caller's
``tenant_id`` principal tag, so an IAM user or role tagged ``tenant_id=t_…`` with this policy
attached can drop files under ``inbox/t_…/`` and read the answers under ``outbox/t_…/`` only
(README: "Drop folder"). Nothing else of the bucket is reachable with it.
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
    return iam.ManagedPolicy(
        scope, "TenantDropFolder", managed_policy_name=settings.name("tenant-drop-folder"),
        description="Attach to a tenant's IAM user or role tagged tenant_id=<its tenant id>",
        statements=[
            iam.PolicyStatement(actions=["s3:PutObject", "s3:AbortMultipartUpload"],
                                resources=[data.arn_for_objects(f"{inbox}*")]),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[data.arn_for_objects(f"{outbox}*")]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[data.bucket_arn],
                                conditions={"StringLike": {"s3:prefix": [f"{inbox}*", f"{outbox}*"]}}),
        ])
