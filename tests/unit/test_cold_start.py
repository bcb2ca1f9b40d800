"""Cold starts: every function imports app.py, so what it loads is paid by every function."""

from __future__ import annotations

import json
import subprocess
import sys

from chalicelib.local.coldstart import HANDLERS, cold_start, import_costs

# Loaded only where they are used: the enrichers' data and libraries on the work path, boto3 on
# the first call to AWS, healing in the tick.
_NOT_AT_IMPORT = ("boto3", "botocore.client", "phonenumbers", "email_validator", "tldextract",
                  "nameparser", "usaddress", "chalicelib.services.working",
                  "chalicelib.domain.enrich.pipeline", "chalicelib.services.healing",
                  "chalicelib.sources.http_provider", "chalicelib.handlers.events")


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport json, sys\n"
                           "print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


def test_importing_app_leaves_the_work_path_and_boto3_unloaded() -> None:
    # GIVEN a fresh interpreter, WHEN it imports app (as every function's sandbox does first)
    loaded = _loaded_after("import app")
    # THEN the API has its routes, and none of what only the work path or AWS calls need
    assert "chalicelib.handlers.batches_api" in loaded
    assert sorted(set(_NOT_AT_IMPORT) & loaded) == []


def test_the_work_function_loads_its_handlers_on_first_invocation() -> None:
    loaded = _loaded_after("import app\nimport " + HANDLERS["work"][0])
    assert {"chalicelib.services.working", "chalicelib.domain.enrich.pipeline"} <= loaded


def test_import_costs_add_self_times_by_package() -> None:
    lines = "\n".join([
        "import time: self [us] | cumulative | imported package",
        "import time:       120 |        120 |     botocore.compat",
        "import time:       300 |        420 |   botocore",
        "import time:        50 |         50 |     chalicelib.domain.models",
        "import time:        10 |        480 | app",
    ])
    assert import_costs(lines) == {"botocore": 420, "chalicelib.domain": 50, "app": 10}


def test_bench_reports_a_functions_import_and_ready_times() -> None:
    figures = cold_start("api_handler", 1)
    assert figures["function"] == "api_handler"
    assert 0 < figures["import_s"]["min"] <= figures["ready_s"]["min"]
    assert figures["biggest_imports_ms"]  # where the time went, by package
