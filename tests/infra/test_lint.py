"""cfn-lint finds no error in the synthesized template (warnings are reported, not fatal)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import STACK


def test_cfn_lint_finds_no_error(assembly: Path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "json",
                           str(assembly / f"{STACK}.template.json")],
                          capture_output=True, text=True, timeout=300)
    findings = json.loads(done.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=1)
    assert done.returncode in (0, 4), done.stderr  # 4: warnings only
