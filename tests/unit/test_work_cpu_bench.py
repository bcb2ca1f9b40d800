"""``bench --work-cpu``: a batch through split, work and finalize in one process on the fakes,
its CPU a row by step and by work stage, beside the plain loop's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain import parts
from chalicelib.domain.enrich.pipeline import Pipeline
from chalicelib.domain.parts import rendered_body
from chalicelib.handlers import work_events
from chalicelib.local.cli import main
from chalicelib.local.stopwatch import Stopwatch
from chalicelib.local.work_cpu import WORK_STAGES, run_work_cpu
from chalicelib.services import working


def test_a_few_hundred_rows_go_through_and_every_stage_is_measured(tmp_path: Path) -> None:
    figures = run_work_cpu(300, tmp_path, chunk_rows=100)

    batch = figures["batch"]
    assert batch["status"] == "completed" and batch["chunk_rows"] == 100
    assert batch["completed"] + batch["not_found"] == 300 and figures["chunks"] == 3
    assert set(batch["files_sha256"]) == {"results.csv", "rows.jsonl", "errors.csv"}
    stages = figures["work_us_per_row"]
    assert list(stages) == list(WORK_STAGES)
    assert all(stages[name] > 0 for name in ("parse", "models", "enrichers", "rendering", "part_json"))
    # the stages are the work step's CPU, cut in pieces (rounding aside)
    assert sum(stages.values()) == pytest.approx(figures["cpu_us_per_row"]["work"], abs=1.0)
    assert figures["plain_loop_us_per_row"] > 0
    assert figures["finalize_reads_us_per_row"]["survey"] > 0  # a survey's reading of the rows
    assert figures["finalize_reads_us_per_row"]["input_rows"] > 0
    outside = figures["outside_enrichers_us_per_row"]
    assert outside == pytest.approx(sum(figures["cpu_us_per_row"].values()) - stages["enrichers"], abs=1.0)


def test_the_measured_functions_are_put_back_after_the_run(tmp_path: Path) -> None:
    places = ((work_events, "_messages"), (working, "load_part"), (working, "rendered_body"),
              (parts, "render_rows"), (Pipeline, "enrich_until"))
    before = [vars(owner)[name] for owner, name in places]

    run_work_cpu(120, tmp_path, chunk_rows=100)

    assert [vars(owner)[name] for owner, name in places] == before
    assert vars(working)["rendered_body"] is rendered_body


def test_a_stopwatch_counts_a_watched_function_and_unwraps_an_instance_method() -> None:
    class Store:
        def put(self, body: bytes) -> int:
            return len(body)

    store, watch = Store(), Stopwatch()
    with watch.watching({"put": (store, "put")}):
        assert store.put(b"abc") == 3
        assert store.put(b"") == 0

    assert watch.calls["put"] == 2 and watch.seconds["put"] >= 0
    assert "put" not in vars(store)  # the class's method shows again


def test_the_command_prints_the_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cpu.json"

    assert main(["bench", "--work-cpu", "--rows", "150", "--chunk-rows", "100", "--out", str(out)]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert [figure["rows"] for figure in printed["work_cpu"]] == [150]
