"""The whole pipeline through the local runtime, as a user runs it: the command and the HTTP API."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.models import BatchStatus
from chalicelib.domain.options import BatchOptions
from chalicelib.local.runtime import LocalRuntime
from chalicelib.services.batches import start_batch
from chalicelib.services.ports import get_ports
from chalicelib.services.tenants import create_tenant
from tests.api_client import Http, network_transport
from tests.csvs import read_rows
from tests.served import free_port, served_api

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "leads.csv"
COMMAND = [sys.executable, "-m", "chalicelib.local"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_run_enriches_the_sample_and_writes_results_beside_it(tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_bytes(SAMPLE.read_bytes())
    summary = tmp_path / "summary.json"

    done = _run("run", str(source), "--summary-json", str(summary), "--quiet")

    assert done.returncode == 0, done.stderr
    rows = read_rows((tmp_path / "leads.enriched.csv").read_bytes())
    inputs = read_rows(SAMPLE.read_bytes())
    assert [r["Lead ID"] for r in rows] == [r["Lead ID"] for r in inputs]
    assert all(r["Email Address"] == i["Email Address"] for r, i in zip(rows, inputs, strict=True))
    body = json.loads(summary.read_text())
    assert body["status"] == "completed"
    assert body["credits_spent"] == sum(r["enrich_status"] == "completed" for r in rows)
    assert body["counts"]["total"] == len(inputs)


def test_run_exits_non_zero_with_the_reason_when_credits_run_out(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"

    done = _run("run", str(SAMPLE), "--credits", "10", "--out", str(out), "--quiet")

    assert done.returncode == 3
    assert "paused_insufficient_credits" in done.stderr
    assert "Top up" in done.stderr
    assert not out.exists()


@pytest.fixture
def server() -> Iterator[str]:
    with served_api(free_port(), "adm") as base:
        yield base


def _wait_for(http: Http, key: str, batch_id: str, statuses: set[str]) -> dict[str, Any]:
    for _ in range(600):
        body = http.status(key, batch_id)
        if body["status"] in statuses and (body["status"] != "completed" or body["results"]):
            return body
        time.sleep(0.1)
    raise AssertionError(f"batch never reached {statuses}: {body}")


def test_http_upload_pause_top_up_resume_and_download(server: str) -> None:
    http = Http(network_transport(server))
    created_tenant = http.post_json("/v1/admin/tenants", "adm", {"name": "Acme", "credits": 60})
    assert created_tenant.status == 201
    tenant = created_tenant.json()
    key = tenant["api_key"]
    created = http.upload(key, SAMPLE.read_bytes(), {"name": "Q4 leads"})
    assert created.status == 202 and created.json()["name"] == "Q4 leads"
    batch_id = created.json()["batch_id"]

    paused = _wait_for(http, key, batch_id, {"paused_insufficient_credits"})
    assert paused["credits_spent"] == 60
    assert paused["counts"]["parked"] > 0
    refused = http.call("POST", f"/v1/batches/{batch_id}/resume", key)
    assert refused.status == 402 and refused.json()["credits_remaining"] == 0

    topped = http.post_json(f"/v1/admin/tenants/{tenant['tenant_id']}/credits", "adm", {"amount": 1000})
    assert topped.status == 200 and topped.json()["resumed_batches"] == [batch_id]  # auto-resume
    assert http.call("POST", f"/v1/batches/{batch_id}/resume", key).status == 409  # running again
    done = _wait_for(http, key, batch_id, {"completed"})

    results = http.get(f"/v1/batches/{batch_id}/results.csv", key)
    assert results.status == 302
    with urllib.request.urlopen(results.headers["location"], timeout=30) as download:
        rows = read_rows(download.read())
    assert [int(r["row_index"]) for r in rows] == list(range(250))
    assert sum(int(r["enrich_credits"]) for r in rows) == done["credits_spent"] == done["counts"]["completed"]


def test_a_killed_worker_process_is_replaced_and_its_batch_still_completes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "CRITICAL")  # the worker's death is expected here
    runtime = LocalRuntime(work_concurrency=1, retry_delay=0).start()
    try:
        dead = runtime.workers[0].pid
        assert dead is not None
        os.kill(dead, signal.SIGKILL)
        for _ in range(100):
            if runtime.workers[0].pid != dead and runtime.workers[0].exited is None:
                break
            time.sleep(0.1)
        assert runtime.workers[0].pid != dead
        ports = get_ports()
        tenant = create_tenant(ports, "Acme", 1000)
        batch = start_batch(ports, tenant.tenant_id, io.BytesIO(SAMPLE.read_bytes()), "leads.csv",
                            BatchOptions())
        for _ in range(600):
            current = ports.batches.get(tenant.tenant_id, batch.batch_id)
            if current is not None and current.finished_at is not None:
                break
            time.sleep(0.1)
        assert current is not None and current.status is BatchStatus.COMPLETED
        assert current.counts.settled == current.total_rows == 250
    finally:
        runtime.stop()
