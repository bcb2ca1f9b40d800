"""The functions and the API from Chalice's CDK construct, each with a role of its own from its spec."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from chalice.cdk import Chalice
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib import topology
from chalicelib.settings import Settings
from infra.bytecode import add_bytecode
from infra.naming import function_name
from infra.permissions import LOGS_WRITE, XRAY_WRITE, Arns, statements
from infra.phonedata import add_phone_tables

ROOT = Path(__file__).resolve().parent.parent
# Set by the stack itself; a deployer's BATCH_ENRICH_* variables travel to the functions otherwise.
_OWNED = {"BATCH_ENRICH_RESOURCE_PREFIX", "BATCH_ENRICH_BUCKET", "BATCH_ENRICH_ADMIN_API_KEY",
          "BATCH_ENRICH_PARTIAL_BATCH_RESPONSES", "BATCH_ENRICH_MAX_QUEUED_CHUNKS"}


def logical_id(spec: topology.FunctionSpec) -> str:
    """The function's resource id in the template ``chalice package`` writes."""
    return "APIHandler" if spec.name == "api_handler" else to_cfn_resource_name(spec.name)


def environment(settings: Settings, secret_names: dict[str, str]) -> dict[str, str]:
    """Every function's environment: the stage's names, the secrets' names, the deployer's settings."""
    passed = {k: v for k, v in os.environ.items()
              if k.startswith("BATCH_ENRICH_") and k not in _OWNED
              and not k.startswith("BATCH_ENRICH_SECRET_") and not k.endswith("_SECRET")}
    return passed | {
        "BATCH_ENRICH_RESOURCE_PREFIX": settings.resource_prefix,
        "BATCH_ENRICH_BUCKET": settings.bucket,
        "BATCH_ENRICH_PARTIAL_BATCH_RESPONSES": "true",  # the mappings report batch item failures
        "POWERTOOLS_SERVICE_NAME": "batch-enrich",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    } | {f"BATCH_ENRICH_{spec.setting.upper()}": secret_names[spec.name] for spec in topology.SECRETS}


class _CompiledChalice(Chalice):
    """Chalice's construct, its packages carrying compiled bytecode (``infra/bytecode.py``) and
    the phone enricher's English tables (``infra/phonedata.py``)."""

    def _package_app(self) -> None:
        # The construct packages here and makes its assets of the zips right after: the one
        # place to add the bytecode before CDK hashes and uploads them.
        super()._package_app()
        packages = [Path(self._sam_package_dir) / name
                    for name in ("layer-deployment.zip", "deployment.zip")]
        packages = [package for package in packages if package.exists()]
        for package in packages:
            add_bytecode(package)
        # the phone enricher's English tables, from the packaged phonenumbers (infra/phonedata.py)
        add_phone_tables(Path(self._sam_package_dir) / "deployment.zip", packages)


def chalice_app(scope: Construct, env: dict[str, str], placeholder_role: str) -> Chalice:
    """``chalice package`` of app.py, imported into the stack (functions, layer, REST API)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # packaging needs a region, never AWS
    stage_config: dict[str, Any] = {
        "environment_variables": env, "manage_iam_role": False, "iam_role_arn": placeholder_role,
        "autogen_policy": False, "api_gateway_stage": "api", "automatic_layer": True,
    }
    return _CompiledChalice(scope, "App", source_dir=str(ROOT), stage_config=stage_config)


def trace_api(app: Chalice) -> None:
    """X-Ray tracing of the REST API's stage (each request's trace starts at API Gateway)."""
    app.get_resource("RestAPI").add_property_override("TracingEnabled", True)


def role(scope: Construct, settings: Settings, spec: topology.FunctionSpec, arns: Arns,
         log_group: logs.LogGroup) -> iam.Role:
    """The function's own role: its log group and exactly what its spec declares (inline, so the
    function and its event source mapping are created only once the policy is in place)."""
    granted = [iam.PolicyStatement(actions=list(LOGS_WRITE), resources=[log_group.log_group_arn]),
               iam.PolicyStatement(actions=list(XRAY_WRITE), resources=["*"])]  # X-Ray has no resources
    granted += [iam.PolicyStatement(actions=list(s.actions), resources=list(s.resources),
                                    conditions=s.condition or None)
                for s in statements(spec, arns)]
    return iam.Role(scope, f"Role-{spec.name}", role_name=function_name(settings, spec.name),
                    assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                    inline_policies={"access": iam.PolicyDocument(statements=granted)})


def configure(app: Chalice, settings: Settings, spec: topology.FunctionSpec, function_role: iam.Role,
              log_group: logs.LogGroup) -> Any:
    """Name, role, timeout, memory and /tmp size from the spec; events come from the topology."""
    cfn = app.get_resource(logical_id(spec))
    cfn.add_property_override("FunctionName", function_name(settings, spec.name))
    cfn.add_property_override("Role", function_role.role_arn)
    cfn.add_property_override("Timeout", spec.timeout)
    cfn.add_property_override("MemorySize", spec.memory)
    cfn.add_property_override("EphemeralStorage", {"Size": spec.storage})
    cfn.add_property_override("Tracing", "Active")  # X-Ray: Powertools' Tracer records the rest
    cfn.add_property_deletion_override("Events")
    cfn.node.add_dependency(log_group)
    return cfn


def log_group(scope: Construct, settings: Settings, spec: topology.FunctionSpec, days: int,
              removal: RemovalPolicy) -> logs.LogGroup:
    """The function's log group, with a retention (Lambda's own would keep logs for ever)."""
    group = logs.LogGroup(scope, f"Logs-{spec.name}",
                          log_group_name=f"/aws/lambda/{function_name(settings, spec.name)}",
                          removal_policy=removal)
    cfn = group.node.default_child
    assert isinstance(cfn, logs.CfnLogGroup)
    cfn.retention_in_days = days  # any value CloudWatch offers (cfn-lint checks it)
    return group
