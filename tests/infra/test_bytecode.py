"""The Lambda packages carry compiled bytecode: a read-only sandbox never compiles from source."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from infra.bytecode import add_bytecode, runtime
from tests.infra.conftest import resources

_TAG = sys.implementation.cache_tag


def test_bytecode_is_added_beside_each_module_and_used_as_it_is(tmp_path: Path) -> None:
    # GIVEN a package as Chalice zips it: sources only, one of them Python 2
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        zipped.writestr("pkg/__init__.py", "")
        zipped.writestr("pkg/mod.py", "VALUE = 1\n")
        zipped.writestr("pkg/old.py", 'print "python 2"\n')
        zipped.writestr("pkg/data.json", "{}")
    # WHEN its bytecode is added
    assert add_bytecode(package) == 2
    with zipfile.ZipFile(package) as zipped:
        names = set(zipped.namelist())
        assert zipped.read("pkg/mod.py") == b"VALUE = 1\n"  # the sources stay as they were
    assert {f"pkg/__pycache__/mod.{_TAG}.pyc", f"pkg/__pycache__/__init__.{_TAG}.pyc"} <= names
    assert not any("old." in name and name.endswith(".pyc") for name in names)
    # THEN a sandbox that cannot write runs the bytecode, even where a timestamp says otherwise
    site = tmp_path / "site"
    with zipfile.ZipFile(package) as zipped:
        zipped.extractall(site)
    (site / "pkg" / "mod.py").write_text("VALUE = 2\n")
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPYCACHEPREFIX", None)
    done = subprocess.run([sys.executable, "-c", "import pkg.mod; print(pkg.mod.VALUE)"],
                          env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1"


def test_the_stacks_packages_carry_bytecode_for_the_functions_runtime(
        assembly: Path, template: dict[str, Any]) -> None:
    functions = {**resources(template, "AWS::Lambda::Function"),
                 **resources(template, "AWS::Serverless::Function")}
    ours = {f["Properties"]["Runtime"] for f in functions.values()
            if str(f["Properties"].get("Runtime", "")).startswith("python")}
    assert ours == {runtime()}  # CDK's own helpers (Node.js) aside
    packages = list(assembly.glob("asset.*.zip")) + list(assembly.glob("asset.*/*.zip"))
    names = [set(zipfile.ZipFile(package).namelist()) for package in packages]
    assert any(f"app.{_TAG}.pyc" in {n.rsplit("/", 1)[-1] for n in found} for found in names)
    assert any(f"python/lib/{runtime()}/site-packages/phonenumbers/geodata/__pycache__/"
               f"data0.{_TAG}.pyc" in found for found in names)
