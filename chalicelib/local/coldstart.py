"""Cold starts: what each function's sandbox loads before its first call, in fresh processes.

Every Lambda function of a Chalice app imports ``app`` (that is Chalice's one shape); an event
function then imports its handlers on its first invocation (``app.py``), and every function
builds its boto3 clients when it first reaches AWS. Per function, in a fresh interpreter:
*import*: ``import app`` and the function's handler module (the issue's figure); *ready*: that
plus the first invocation's set-up before its first request (the boto3 clients; for ``work``
also one generated row through the enrichers, which load their data on first use). Each in
wall seconds and in CPU seconds of the process (on a shared machine the CPU figure is the one
that does not move with the load). ``python -X importtime`` names the biggest imports.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from chalicelib.handlers import EVENT_HANDLER_MODULES

# Each function's own handler module, imported by its function in app.py on first invocation.
HANDLERS: dict[str, tuple[str, ...]] = {
    "api_handler": (), **{name: (module,) for name, module in EVENT_HANDLER_MODULES.items()}}

_PROBE = """
import time
started, cpu = time.perf_counter(), time.process_time()
import app
{imports}
imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
from chalicelib.local.coldstart import set_up
print(set_up({function!r}, (imported, imported_cpu), (started, cpu)))
"""


def set_up(function: str, imported: tuple[float, float], started: tuple[float, float]) -> str:
    """In the probe: the first invocation's set-up, then the figures (wall and CPU seconds since
    the import began) as one JSON line."""
    from chalicelib.services.ports import get_ports

    get_ports()  # boto3, the adapters and the clients: what any first call to AWS builds
    if function == "work":
        _enrich_one_row()
    return json.dumps({"import_s": imported[0], "import_cpu_s": imported[1],
                       "ready_s": time.perf_counter() - started[0],
                       "ready_cpu_s": time.process_time() - started[1]})


def _enrich_one_row() -> None:
    from chalicelib.domain.enrich.pipeline import built_in_pipeline
    from chalicelib.domain.messages import ChunkRow
    from chalicelib.services.phone_data import phone_names
    from chalicelib.settings import get_settings

    fields = {"email": 3, "phone": 4, "first_name": 1, "last_name": 2, "company": 5, "country": 6}
    row = ["L-1", "Ada", "Lovelace", "ada@acme.com", "+1 415 555 0100", "Acme Corp", "US", ""]
    pipeline = built_in_pipeline("person", "US", frozenset(fields),
                                 phone_names=phone_names(get_settings().cache_dir))
    pipeline.enrich_row(ChunkRow(i=0, v=row), fields)


def compiled_copy(folder: Path) -> Path:
    """The service's modules (``app.py``, ``chalicelib``) copied into ``folder`` and compiled,
    with the phone enricher's English tables, as the Lambda package holds them (``infra/``)."""
    from chalicelib.domain.enrich.phone_tables import write_tables

    root = Path(__file__).resolve().parents[2]
    shutil.copy2(root / "app.py", folder / "app.py")
    shutil.copytree(root / "chalicelib", folder / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    write_tables(folder / "chalicelib" / "phonedata")
    compileall.compile_dir(folder, quiet=2, workers=0,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return folder


def _probe(function: str, project: Path) -> tuple[dict[str, float], dict[str, int]]:
    """One fresh interpreter importing the compiled ``project``: its figures and its imports'
    self time by package."""
    imports = "\n".join(f"import {module}" for module in HANDLERS[function])
    env = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "cold",
           "AWS_SECRET_ACCESS_KEY": "cold", **os.environ}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c",
                           _PROBE.format(imports=imports, function=function)],
                          env=env, cwd=project, capture_output=True, text=True, check=True,
                          timeout=120)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, import_costs(done.stderr)


def import_costs(importtime: str) -> dict[str, int]:
    """Self time (µs) of a process's imports by package, from ``-X importtime`` lines
    (``chalicelib`` by its sub-package: ``chalicelib.domain`` …)."""
    totals: dict[str, int] = {}
    for line in importtime.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        names = parts[2].strip().split(".")
        package = ".".join(names[:2]) if names[0] == "chalicelib" else names[0]
        totals[package] = totals.get(package, 0) + int(parts[0].split(":")[1])
    return totals


def cold_start(function: str, repeats: int, project: Path | None = None) -> dict[str, Any]:
    """The function's figures over ``repeats`` fresh interpreters (minimum and median), importing
    ``project`` (a ``compiled_copy``; one is made when none is given)."""
    if project is None:
        with tempfile.TemporaryDirectory() as folder:
            return cold_start(function, repeats, compiled_copy(Path(folder)))
    runs = [_probe(function, project) for _ in range(repeats)]
    fastest = min(runs, key=lambda run: run[0]["ready_cpu_s"])[1]
    biggest = sorted(fastest.items(), key=lambda item: -item[1])[:8]
    figures: dict[str, Any] = {"function": function, "handler_modules": list(HANDLERS[function])}
    for name in ("import_s", "import_cpu_s", "ready_s", "ready_cpu_s"):
        values = [run[0][name] for run in runs]
        figures[name] = {"min": round(min(values), 3), "median": round(statistics.median(values), 3)}
    figures["biggest_imports_ms"] = {name: round(us / 1000, 1) for name, us in biggest}
    return figures


def run_cold_starts(repeats: int = 5) -> dict[str, Any]:
    """Every function's cold-start figures, with the machine's load average when they ran."""
    with tempfile.TemporaryDirectory() as folder:
        project = compiled_copy(Path(folder))
        figures = [cold_start(function, repeats, project) for function in HANDLERS]
    return {"repeats": repeats, "load_average": list(os.getloadavg()), "bytecode": True,
            "functions": figures}
