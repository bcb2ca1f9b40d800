"""The collector's settings in split's and work's sandboxes (``handlers/heap.py``): a chunk part's
live rows no longer set off a collection every 700 containers, and the plain loop of the bench
runs with CPython's defaults whatever the functions imported beside it set."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.handlers.heap import PYTHON_DEFAULTS, YOUNG_THRESHOLD, settle_heap
from chalicelib.local.throughput import python_defaults


@pytest.fixture()
def thresholds() -> Iterator[None]:
    kept = gc.get_threshold()
    yield
    gc.set_threshold(*kept)


def _collections_while_a_part_lives(rows: int) -> int:
    """Collections of any generation while a part's rows (each ~10 containers, as a row's result
    holds: its values, attributes, outputs, found list) are built and kept alive."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        part = [{"v": [f"cell {n}"], "attributes": {"email": "valid"}, "found": ["email"],
                 "outputs": {"email": {"domain": "example.com", "tags": [str(n)]}, "phone": {}},
                 "lookups": {}, "extra": ([n],)} for n in range(rows)]
    finally:
        gc.callbacks.remove(count)
    assert len(part) == rows
    return len(seen)


@pytest.mark.usefixtures("thresholds")
def test_a_500_row_part_sets_off_no_collection_in_a_settled_sandbox() -> None:
    gc.set_threshold(*PYTHON_DEFAULTS)
    assert _collections_while_a_part_lives(500) >= 5  # every 700 containers, as CPython does

    settle_heap()

    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert _collections_while_a_part_lives(500) == 0


@pytest.mark.usefixtures("thresholds")
def test_what_the_sandbox_loaded_is_frozen_out_of_every_collection() -> None:
    loaded = [[str(n), "prefix"] for n in range(1000)]  # as an enricher's table loaded on first use
    before = gc.get_freeze_count()

    settle_heap()

    assert gc.get_freeze_count() >= before + len(loaded)


@pytest.mark.usefixtures("thresholds")
def test_the_plain_loop_runs_with_python_defaults_and_puts_the_process_settings_back() -> None:
    settle_heap()
    with python_defaults():
        assert gc.get_threshold() == PYTHON_DEFAULTS
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
