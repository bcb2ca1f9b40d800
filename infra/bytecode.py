"""Compiled bytecode inside the Lambda packages.

Chalice builds its packages from wheels and source files: no ``.pyc`` in them. Lambda's file
system is read-only, so Python cannot keep what it compiles and every cold start compiles every
module it imports from source: phonenumbers' geocoder data alone takes ~8 s that way against
~0.6 s from bytecode (docs/performance.md). The bytecode added here is checked by nothing
(``unchecked-hash``): a zip's timestamps could otherwise invalidate it, and a package's files
never change after it is built. It is compiled by the interpreter that ran ``chalice package``,
whose version is the functions' runtime (Chalice takes it from that interpreter).
"""

from __future__ import annotations

import compileall
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path


def runtime() -> str:
    """The Lambda runtime the bytecode is for: this interpreter's version."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def add_bytecode(package: Path) -> int:
    """Add each module's bytecode to a zip package, beside its source (``__pycache__``); the
    package's own entries stay as they are. Returns how many modules were compiled."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        with zipfile.ZipFile(package) as zipped:
            sources = [name for name in zipped.namelist() if name.endswith(".py")]
            zipped.extractall(root, members=sources)
        # A module that does not compile on this version (a tool's Python 2 file) is left out.
        compileall.compile_dir(root, quiet=2, workers=0,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        compiled = sorted(path for path in root.rglob("*.pyc"))
        with zipfile.ZipFile(package, "a", compression=zipfile.ZIP_DEFLATED) as zipped:
            present = set(zipped.namelist())
            for path in compiled:
                name = path.relative_to(root).as_posix()
                if name not in present:
                    zipped.write(path, name)
    return len(compiled)
