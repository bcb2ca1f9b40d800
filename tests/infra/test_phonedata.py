"""The app package carries the phone enricher's English tables, made from the packaged
phonenumbers, and a sandbox of it reads them (infra/phonedata.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.phonedata import FOLDER

_READS = """
from chalicelib.domain.enrich.phone import PhoneEnricher
from chalicelib.domain.enrich.phone_names import TableNames
from chalicelib.services.phone_data import PACKAGED, phone_names
names = phone_names("")
assert isinstance(names, TableNames) and names.folder == PACKAGED, names
print(PhoneEnricher("US", names).enrich({"phone": "+44 20 7946 0958"}).outputs["region"])
"""


def _packaged_version(packages: list[Path]) -> str:
    for package in packages:
        with zipfile.ZipFile(package) as zipped:
            found = [n for n in zipped.namelist() if n.endswith("phonenumbers/__init__.py")]
            if found:
                text = zipped.read(found[0]).decode()
                match = re.search(r"__version__ = \"([^\"]+)\"", text)
                assert match is not None
                return match.group(1)
    raise AssertionError("no package holds phonenumbers")


def test_the_app_package_carries_the_tables_of_its_phonenumbers_and_reads_them(
        assembly: Path, tmp_path: Path) -> None:
    # GIVEN the stack's packages (as CDK uploads them)
    packages = list(assembly.glob("asset.*.zip")) + list(assembly.glob("asset.*/*.zip"))
    [app] = [p for p in packages if "app.py" in zipfile.ZipFile(p).namelist()]
    # THEN the app's package holds the tables, made from the phonenumbers the packages carry
    with zipfile.ZipFile(app) as zipped:
        index = json.loads(zipped.read(f"{FOLDER}/index.json"))
        assert {f"{FOLDER}/geo-1.json", f"{FOLDER}/carrier-44.json"} <= set(zipped.namelist())
        zipped.extractall(tmp_path / "task")
    assert index["phonenumbers"] == _packaged_version(packages)
    # AND a sandbox of that package (read-only, nothing cached) describes numbers from them
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "task"), "BATCH_ENRICH_CACHE_DIR": ""}
    done = subprocess.run([sys.executable, "-c", _READS], cwd=tmp_path / "task", env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "London"
