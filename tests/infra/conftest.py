"""The stack of stage ``dev``, synthesized once per session, offline, as ``make synth`` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK = "batch-enrich-dev"


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly directory (``python -m infra``, no AWS account, no deployer settings)."""
    out = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATCH_ENRICH_", "AWS_"))}
    env |= {"CDK_OUTDIR": str(out), "PYTHONPATH": str(ROOT),
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    # chalice.out/ (the construct's packaging) goes to the working directory: a temporary one.
    done = subprocess.run([sys.executable, "-m", "infra"], cwd=out, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="session")
def template(assembly: Path) -> dict[str, Any]:
    """The synthesized CloudFormation template."""
    loaded: dict[str, Any] = json.loads((assembly / f"{STACK}.template.json").read_text())
    return loaded


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type, by logical id."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
