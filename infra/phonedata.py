"""The phone enricher's English tables inside the Lambda package.

phonenumbers' geocoder and carrier data load whole (every prefix in every language, ~0.5 s of
CPU) in a sandbox that describes one number; the work function reads English tables of the
country calling codes its numbers are in instead (``chalicelib/domain/enrich/phone_tables.py``).
They are made here, when the packages are built, from the phonenumbers the packages carry (run
from the package itself, so they name its version, which the function checks before it trusts
them), and added beside the service's code as ``chalicelib/phonedata/`` (where
``chalicelib/services/phone_data.py`` looks).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "chalicelib/phonedata"
_MAKE = ("import sys; from pathlib import Path; "
         "from chalicelib.domain.enrich.phone_tables import write_tables; write_tables(Path(sys.argv[1]))")


def add_phone_tables(app_package: Path, packages: list[Path]) -> int:
    """Make the tables from the phonenumbers inside ``packages`` (the layer, or the app's own
    package) and add them to ``app_package``; returns how many files were added."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        site = _extract_phonenumbers(packages, root / "site")
        tables = root / "phonedata"
        # The packaged phonenumbers (and its bytecode) first on the path; the service's modules
        # from this tree (the same the app package holds).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
        subprocess.run([sys.executable, "-c", _MAKE, str(tables)], env=env, cwd=root, check=True,
                       capture_output=True, timeout=600)
        written = sorted(tables.iterdir())
        with zipfile.ZipFile(app_package, "a", compression=zipfile.ZIP_DEFLATED) as zipped:
            present = set(zipped.namelist())
            for path in written:
                name = f"{FOLDER}/{path.name}"
                if name not in present:
                    zipped.write(path, name)
    return len(written)


def _extract_phonenumbers(packages: list[Path], into: Path) -> Path:
    """The folder holding the ``phonenumbers`` package of the first package that has one."""
    for package in packages:
        with zipfile.ZipFile(package) as zipped:
            names = zipped.namelist()
            marker = next((n for n in names if n.endswith("phonenumbers/__init__.py")), None)
            if marker is None:
                continue
            prefix = marker[: -len("phonenumbers/__init__.py")]
            zipped.extractall(into, members=[n for n in names if n.startswith(f"{prefix}phonenumbers/")])
            return into / prefix
    raise FileNotFoundError("no package holds phonenumbers: the phone tables cannot be made")
