"""Stage-aware physical names: ``batch-enrich-{stage}-{logical}`` for every resource."""

from __future__ import annotations

import re

from aws_cdk import Aws

from chalicelib.settings import Settings

APP = "batch-enrich"
_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


def stage_settings(stage: str) -> Settings:
    """The service's settings for a stage: its resource prefix and bucket, the rest from the
    deployer's ``BATCH_ENRICH_*`` environment (lifecycle days, limits, prices)."""
    if not _STAGE.match(stage):
        raise ValueError(f"STAGE {stage!r}: lower-case letters, digits and '-', at most 16, "
                         "starting with a letter (it goes into every resource name).")
    prefix = f"{APP}-{stage}"
    # Bucket names are global: the account and region make the stage's name unique.
    return Settings(resource_prefix=prefix, bucket=f"{prefix}-{Aws.ACCOUNT_ID}-{Aws.REGION}")


def function_name(settings: Settings, chalice_name: str) -> str:
    """A Lambda function's physical name (``api_handler`` -> ``…-api-handler``)."""
    return settings.name(chalice_name.replace("_", "-"))
