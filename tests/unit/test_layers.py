"""The layers of docs/architecture.md's map hold: each folder imports only what the map allows."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AWS_AND_WEB = ("boto3", "botocore", "chalice", "moto", "mypy_boto3")
# folder -> what its modules must not import (prefixes of module names)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "chalicelib/domain": (*AWS_AND_WEB, "chalicelib.adapters", "chalicelib.services", "chalicelib.handlers",
                          "chalicelib.ports", "chalicelib.local", "chalicelib.clients", "chalicelib.settings",
                          "chalicelib.topology", "chalicelib.keys", "chalicelib.sources"),
    "chalicelib/ports": (*AWS_AND_WEB, "chalicelib.adapters", "chalicelib.services", "chalicelib.handlers",
                         "chalicelib.local", "chalicelib.clients"),
    "chalicelib/adapters": ("chalice", "moto", "chalicelib.services", "chalicelib.handlers",
                            "chalicelib.local"),
    "chalicelib/services": (*AWS_AND_WEB, "chalicelib.adapters", "chalicelib.clients", "chalicelib.handlers",
                            "chalicelib.local"),
    # Loggers, correlation ids and the log filter: importable from every layer, importing none.
    "chalicelib/observability": (*AWS_AND_WEB, "chalicelib.adapters", "chalicelib.services",
                                 "chalicelib.handlers", "chalicelib.ports", "chalicelib.local",
                                 "chalicelib.clients"),
    "chalicelib/handlers": ("boto3", "botocore", "moto", "chalicelib.adapters", "chalicelib.clients",
                            "chalicelib.local"),
}
TOP_LEVEL_FORBIDDEN = ("chalicelib.services", "chalicelib.handlers", "chalicelib.adapters",
                       "chalicelib.local")
# The one composition root: it puts the boto3 adapters behind the ports.
WIRING = {"chalicelib/services/ports.py"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_every_folder_imports_only_what_the_map_allows() -> None:
    wrong = []
    for folder, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in WIRING:
                continue
            wrong += [f"{name} imports {module}" for module in sorted(_imports(path))
                      if _within(module, forbidden)]
    for path in sorted((ROOT / "chalicelib").glob("*.py")):  # topology, keys, settings, clients …
        wrong += [f"{path.name} imports {module}" for module in sorted(_imports(path))
                  if _within(module, TOP_LEVEL_FORBIDDEN)]
    assert not wrong, "\n".join(wrong)


def test_the_app_module_only_wires_handlers_and_declarations() -> None:
    allowed = ("__future__", "typing", "collections.abc", "chalice", "chalicelib.handlers",
               "chalicelib.topology", "chalicelib.settings")
    modules = _imports(ROOT / "app.py")

    assert {m for m in modules if not _within(m, allowed) and m != "chalicelib"} == set()
