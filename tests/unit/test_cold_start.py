"""Cold starts: every function imports app.py, so what it loads is paid by every function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib.domain.enrich.phone_tables import write_tables
from chalicelib.local.coldstart import HANDLERS
from chalicelib.services.phone_data import cached_tables

# Loaded only where they are used: the enrichers' data and libraries on the work path, boto3 on
# the first call to AWS, healing in the tick.
_NOT_AT_IMPORT = ("boto3", "botocore.client", "phonenumbers", "email_validator", "tldextract",
                  "nameparser", "usaddress", "chalicelib.services.working",
                  "chalicelib.domain.enrich.pipeline", "chalicelib.services.healing",
                  "chalicelib.sources.http_provider", *HANDLERS["work"], *HANDLERS["split"],
                  # libraries of sources the service never uses, and of a few routes only
                  "pydantic_settings", "dotenv", "croniter", "charset_normalizer",
                  # what a route needs when it is called, not before: the outbound-call guard
                  # (http.client, ssl), the CSV reading and column mapping, the ports' models
                  "chalicelib.netguard", "chalicelib.domain.upload", "chalicelib.domain.columns",
                  "chalicelib.domain.enrich.creator", "chalicelib.ports.batches",
                  # the answers' models: only the OpenAPI document needs them
                  "chalicelib.handlers.responses", "chalicelib.handlers.door_responses",
                  "chalicelib.handlers.openapi")
# What one event function needs and another never does.
_ONLY_IN = {"work": ("chalicelib.services.working", "chalicelib.domain.enrich.phone"),
            "split": ("chalicelib.services.splitting",),
            "finalize": ("chalicelib.services.finalizing",),
            "tick": ()}


# phonenumbers' place and carrier names in every language (~0.5 s of a sandbox's start): the
# work function reads English tables instead (domain/enrich/phone_tables.py)
_WHOLE_PHONE_DATA = {"phonenumbers.geocoder", "phonenumbers.geodata", "phonenumbers.geodata.locale",
                     "phonenumbers.carrier", "phonenumbers.carrierdata"}


def _loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport json, sys\n"
                           "print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, timeout=120, env=env)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_app_leaves_the_work_path_and_boto3_unloaded() -> None:
    # GIVEN a fresh interpreter, WHEN it imports app (as every function's sandbox does first)
    loaded = _loaded_after("import app")
    # THEN the API has its routes, and none of what only the work path or AWS calls need
    assert "chalicelib.handlers.batches_api" in loaded
    assert sorted(set(_NOT_AT_IMPORT) & loaded) == []


def test_importing_app_loads_no_service_before_its_route_is_called() -> None:
    # GIVEN a fresh interpreter, WHEN it imports app (the API function's cold start)
    loaded = _loaded_after("import app")
    # THEN the routes are declared but no service module is loaded (each route imports its
    # services on its first call): only the ports' accessor, which builds nothing at import
    services = sorted(m for m in loaded if m.startswith("chalicelib.services."))
    assert services == ["chalicelib.services.ports"]


def test_the_work_function_loads_its_handlers_on_first_invocation() -> None:
    loaded = _loaded_after("import app\nimport " + HANDLERS["work"][0])
    assert {"chalicelib.services.working", "chalicelib.domain.enrich.pipeline"} <= loaded


def test_a_work_sandbox_loads_the_phone_names_of_its_numbers_countries_only(tmp_path: Path) -> None:
    # GIVEN the English tables in the cache (as a Lambda package carries them)
    write_tables(cached_tables(str(tmp_path)))
    # WHEN a work sandbox starts and describes a number from the US and one from the UK
    code = "\n".join([
        "import app, " + HANDLERS["work"][0],
        "import json, sys",
        "from chalicelib.domain.enrich.phone import PhoneEnricher",
        "from chalicelib.services.phone_data import phone_names",
        "from chalicelib.settings import get_settings",
        "names = phone_names(get_settings().cache_dir)",
        "for phone in ('+1 650 253 0000', '+44 20 7946 0958'):",
        "    assert PhoneEnricher('US', names).enrich({'phone': phone}).outputs['region']",
        "print(json.dumps(sorted(sys.modules)))",
        "print(json.dumps(sorted(names._tables._loaded)))",
    ])
    env = {**os.environ, "BATCH_ENRICH_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120, env=env)
    *_, loaded, tables = done.stdout.splitlines()
    # THEN neither its import nor its numbers loaded phonenumbers' data in every language, and
    # only the tables of the two numbers' calling codes were read
    assert sorted(_WHOLE_PHONE_DATA & set(json.loads(loaded))) == []
    read = {(kind, code) for kind, code in json.loads(tables)}
    assert {("geo", 1), ("geo", 44)} <= read and {code for _, code in read} == {1, 44}


def test_each_event_function_loads_its_own_step_and_not_the_others() -> None:
    for function, own in _ONLY_IN.items():
        # GIVEN a fresh sandbox of one function, WHEN it imports app and its handler module
        loaded = _loaded_after("import app\nimport " + HANDLERS[function][0])
        # THEN its own step's code is there, and what only the other steps need is not
        others = {module for other, needs in _ONLY_IN.items() if other != function for module in needs}
        assert set(own) <= loaded, function
        assert sorted((others - set(own)) & loaded) == [], function
        # nor Powertools' batch utility (with its parser's models of every event type)
        assert "aws_lambda_powertools.utilities.batch" not in loaded, function


def test_no_model_is_built_on_import() -> None:
    # GIVEN a fresh interpreter, WHEN it imports app, THEN no model of the service built its
    # validator yet (each builds on first use; the API's cold start built ~100 before)
    code = "\n".join([
        "import app, pydantic",
        "def models(c):",
        "    for s in c.__subclasses__():",
        "        yield s",
        "        yield from models(s)",
        "print(sorted(f'{c.__module__}.{c.__name__}' for c in models(pydantic.BaseModel)",
        "             if c.__module__.startswith('chalicelib') and c.__pydantic_complete__",
        "             and c.__name__ != 'Settings'))",
    ])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120)
    assert done.stdout.strip() == "[]"
