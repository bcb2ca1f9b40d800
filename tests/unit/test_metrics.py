"""EMF metrics: one set per invocation (threads never mix), declared names only, no personal data."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chalicelib.observability import fresh, metrics
from chalicelib.observability.catalog import METRICS


def _values(lines: list[dict[str, Any]], name: str) -> list[float]:
    return [value for line in lines if name in line for value in line[name]]


def test_each_invocation_writes_only_its_own_metrics_even_as_threads_of_one_process(
        written: list[dict[str, Any]]) -> None:
    barrier = threading.Barrier(2)

    def invocation(rows: int, name: str) -> None:
        with fresh(function_name=name, function_request_id=f"{name}-0001-aaaa"), metrics.measured():
            barrier.wait()
            metrics.count("RowsMatched", rows)
            barrier.wait()

    threads = [threading.Thread(target=invocation, args=(rows, name))
               for rows, name in ((3, "work"), (40, "split"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    by_function = {line["function_name"]: line["RowsMatched"] for line in written}
    assert by_function == {"work": [3.0], "split": [40.0]}
    for line in written:
        (declared,) = line["_aws"]["CloudWatchMetrics"]
        assert declared["Namespace"] == "BatchEnrich" and declared["Dimensions"] == [["service"]]


def test_counts_are_summed_gauges_keep_their_highest_and_samples_split_at_100_values(
        written: list[dict[str, Any]]) -> None:
    with metrics.measured():
        metrics.count("CreditsCharged", 2)
        metrics.count("CreditsCharged", 5)
        metrics.count("RowsFailed", 0)  # nothing happened: nothing written
        metrics.gauge("BatchesStalled", 1)
        metrics.gauge("BatchesStalled", 0)
        for ms in range(250):
            metrics.sample("VendorLatency", ms, source="acme")
    assert _values(written, "CreditsCharged") == [7.0]
    assert _values(written, "BatchesStalled") == [1.0]
    assert "RowsFailed" not in str(written)
    latency = [line for line in written if "VendorLatency" in line]
    assert [len(line["VendorLatency"]) for line in latency] == [99, 99, 52]
    assert {line["source"] for line in latency} == {"acme"}
    # per source, and the service's total over every source (what an alarm can read)
    assert latency[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"], ["source", "service"]]


def test_a_dimension_value_that_is_not_a_code_never_reaches_a_metric(
        written: list[dict[str, Any]]) -> None:
    with metrics.measured():
        metrics.count("VendorCalls", source="marguerite.vandersloot@gmail.com")
        metrics.count("VendorCalls", source="Acme Data")
    assert [line["source"] for line in written] == ["other"]
    assert "gmail" not in str(written)


def test_only_declared_metrics_with_their_declared_dimensions_are_accepted() -> None:
    with pytest.raises(ValueError, match="not a declared"):
        metrics.count("RowsMatchd")
    with pytest.raises(ValueError, match="takes the dimensions"):
        metrics.count("RowsMatched", tenant="t_1")
    with pytest.raises(ValueError, match="not a declared sample"):
        metrics.sample("RowsMatched", 1)
    assert not [spec for spec in METRICS if {"tenant_id", "batch_id"} & set(spec.dimensions)]


def test_outside_an_invocation_nothing_is_written(written: list[dict[str, Any]]) -> None:
    metrics.count("RowsMatched", 3)
    assert written == []
