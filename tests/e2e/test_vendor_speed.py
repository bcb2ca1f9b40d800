"""Advanced mode against a rate-limited vendor through the local runtime: concurrent, never over."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from chalicelib.local.vendor_bench import run_vendor_bench

pytestmark = pytest.mark.e2e


def test_two_worker_processes_keep_calls_in_flight_under_one_shared_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ten chunks, so both worker processes call the vendor at the same time. At 200 ms a call
    # and 20/s, keeping the vendor busy takes 4 calls in flight; one call at a time per worker
    # (the old way) never had more than 2. Each worker alone would go at the full 20/s: only a
    # limit both share keeps the vendor's 429s away.
    monkeypatch.setenv("BATCH_ENRICH_ADVANCED_CHUNK_ROWS", "20")
    [figure] = run_vendor_bench([0.2], [2], rows=200, limit=20.0, repeat_share=0.0, again=False,
                                folder=tmp_path, port=0)

    vendor, counts = figure["vendor"], figure["rows_by_status"]
    assert sum(counts.values()) == figure["rows"] == 200  # every row once
    assert counts["failed"] == 0  # a 429 is waited out and retried, never a failed row
    with (tmp_path / "vendor-leads-200.csv").open(newline="") as source:
        asked = sum(1 for row in csv.DictReader(source) if row["Email Address"])
    assert vendor["accepted"] == asked  # each row with an email answered once
    assert vendor["throttled_429"] <= 0.05 * vendor["calls"]  # scheduling jitter, not a 2x overrun
    assert vendor["max_in_flight"] > 2
    assert vendor["connections"] <= 2 * 16  # kept alive: not one connection per call
    invocations = figure["work_invocations"]
    assert invocations["count"] >= 2 and invocations["over_timeout"] == 0
    assert 0 < invocations["longest_seconds"] < invocations["timeout_seconds"]


def test_repeated_inputs_are_asked_once_across_worker_processes_and_never_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 30% of the rows repeat an earlier row's email, in chunks of 15 that two worker processes
    # take at the same time: a repeat is often asked while its twin's call is still under way
    # in the other process (the claim in the result cache makes it wait for that answer).
    monkeypatch.setenv("BATCH_ENRICH_ADVANCED_CHUNK_ROWS", "15")
    [figure] = run_vendor_bench([0.1], [2], rows=150, limit=50.0, repeat_share=0.3, again=True,
                                folder=tmp_path, port=0)

    vendor, again = figure["vendor"], figure["second_batch"]
    with (tmp_path / "vendor-leads-150.csv").open(newline="") as source:
        emails = [row["Email Address"] for row in csv.DictReader(source) if row["Email Address"]]
    distinct = len({email.lower() for email in emails})
    assert distinct < len(emails) - 20  # the file does repeat inputs
    assert vendor["accepted"] == vendor["distinct_inputs"] == distinct  # each input asked once
    assert figure["lookups"]["calls"] == distinct
    assert figure["lookups"]["calls_saved"] == len(emails) - distinct
    assert again["vendor"]["calls"] == 0  # the identical second batch: every answer reused
    assert again["lookups"] == {"calls": 0, "cache_hits": len(emails), "duplicates": 0,
                                "calls_saved": len(emails)}
    assert again["credits_spent"] == figure["credits_spent"]  # billed as before
