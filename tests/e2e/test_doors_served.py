"""The other ways in through ``batch-enrich serve``: a file dropped with the real AWS CLI comes
back enriched in outbox/; a presigned POST sent with curl starts a batch, and the emulator
refuses (as S3 does) what the form's policy does not allow."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.api_client import Http, network_transport
from tests.csvs import leads, read_rows
from tests.served import Served, free_port, serving
from tests.webhook_receiver import PORTS

pytestmark = pytest.mark.e2e
MAX_BYTES = 20_000


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("BATCH_ENRICH_UPLOAD_FORM_MAX_BYTES", str(MAX_BYTES))
    with serving(free_port(PORTS), "adm") as running:
        yield running


def _tenant(http: Http) -> dict[str, Any]:
    created = http.post_json("/v1/admin/tenants", "adm", {"name": "Acme", "credits": 1000})
    assert created.status == 201, created.raw
    return created.json()


def _aws(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    """The AWS CLI (awscli, as a customer runs it) pointed at the emulator."""
    return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", served.aws_endpoint, *args],
                          capture_output=True, text=True, timeout=120)


def test_a_file_dropped_with_the_aws_cli_comes_back_enriched_in_outbox(
        served: Served, tmp_path: Path) -> None:
    tenant = _tenant(Http(network_transport(served.base)))
    (tmp_path / "leads.csv.json").write_text(json.dumps({"name": "Dropped Q4"}))
    (tmp_path / "leads.csv").write_bytes(leads(40))
    inbox = f"s3://{served.bucket}/inbox/{tenant['tenant_id']}/q4"
    outbox = f"s3://{served.bucket}/outbox/{tenant['tenant_id']}/q4/leads"

    for name in ("leads.csv.json", "leads.csv"):  # the sidecar first
        copied = _aws(served, "s3", "cp", str(tmp_path / name), f"{inbox}/{name}")
        assert copied.returncode == 0, copied.stderr
    status: dict[str, Any] = {}
    for _ in range(120):
        got = _aws(served, "s3", "cp", f"{outbox}.status.json", "-")
        status = json.loads(got.stdout) if got.returncode == 0 else {}
        if status.get("status") in ("completed", "failed"):
            break
        time.sleep(0.5)

    assert (status["status"], status["name"]) == ("completed", "Dropped Q4"), status
    assert _aws(served, "s3", "cp", f"{outbox}.enriched.csv", str(tmp_path / "out.csv")).returncode == 0
    rows = read_rows((tmp_path / "out.csv").read_bytes())
    assert [r["id"] for r in rows] == [f"L{i}" for i in range(40)]
    assert status["credits_spent"] == sum(int(r["enrich_credits"]) for r in rows)


def _curl(url: str, fields: dict[str, str], data: bytes, tmp_path: Path) -> tuple[int, str]:
    """A browser-style POST (the file last), with curl; the status code and the answer."""
    upload = tmp_path / "upload.csv"
    upload.write_bytes(data)
    form = [arg for name, value in fields.items() for arg in ("--form-string", f"{name}={value}")]
    done = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *form, "-F", f"file=@{upload}", url],
                          capture_output=True, text=True, timeout=60)
    body, _, code = done.stdout.rpartition("\n")
    return int(code), body


def test_a_presigned_post_with_curl_starts_a_batch_and_s3_s_policy_refuses_the_rest(
        served: Served, tmp_path: Path) -> None:
    http = Http(network_transport(served.base))
    key = _tenant(http)["api_key"]
    created = http.post_json("/v1/uploads", key, {"filename": "big.csv", "size": 5000, "name": "Via S3"})
    assert created.status == 201, created.raw
    body = created.json()
    assert body["status"] == "awaiting_upload"
    url, fields = body["upload"]["url"], body["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")).timestamp()
    assert 0 < expires - time.time() <= 900
    assert ["content-length-range", 1, MAX_BYTES] in policy["conditions"]

    too_big = _curl(url, fields, b"x" * (MAX_BYTES + 1), tmp_path)
    assert too_big[0] == 400 and "EntityTooLarge" in too_big[1]
    elsewhere = _curl(url, {**fields, "key": fields["key"].replace("input", "other")}, leads(3), tmp_path)
    assert elsewhere[0] == 403 and "Policy Condition failed" in elsewhere[1]
    assert _curl(url, fields, leads(30), tmp_path)[0] == 204

    status: dict[str, Any] = {}
    for _ in range(300):
        status = http.status(key, body["batch_id"])
        if status["status"] in ("completed", "failed") and status["results"]:
            break
        time.sleep(0.2)
    assert (status["status"], status["name"], status["counts"]["total"]) == ("completed", "Via S3", 30)


def test_an_expired_form_is_refused(served: Served, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=served.aws_endpoint, config=Config(signature_version="s3v4"))
    form = s3.generate_presigned_post(served.bucket, "uploads/t/b/input.csv", ExpiresIn=1,
                                      Conditions=[["content-length-range", 1, MAX_BYTES]])
    time.sleep(2)

    code, answer = _curl(form["url"], form["fields"], leads(3), tmp_path)

    assert code == 403 and "Policy expired" in answer
