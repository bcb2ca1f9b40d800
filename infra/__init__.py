"""The AWS CDK app of batch-enrich: every resource synthesized from ``chalicelib.topology``."""
