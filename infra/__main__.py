"""``python -m infra``: synthesize the stack of a stage (the CDK CLI runs this; see infra/cdk.json).

Context: ``stage`` (default ``dev``), ``retain_data`` (``true`` keeps tables, bucket and secrets
when the stack is destroyed), ``log_retention_days`` (default 30).
"""

from __future__ import annotations

from aws_cdk import App

from infra.stack import BatchEnrichStack


def main() -> None:
    """Build the app from its context and write the cloud assembly."""
    app = App()
    context = app.node.try_get_context
    BatchEnrichStack(app, str(context("stage") or "dev"),
                     retain_data=str(context("retain_data") or "false").lower() == "true",
                     log_retention_days=int(context("log_retention_days") or 30))
    app.synth()


if __name__ == "__main__":
    main()
