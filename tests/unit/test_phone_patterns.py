"""phonenumbers' patterns in the work function's sandbox: compiled once, not asked of the re
module for every number; the bench's plain loop runs with the library's default."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from phonenumbers import re_util

from chalicelib.domain.enrich.phone import keep_patterns, patterns_kept, phone_outcome
from chalicelib.local.throughput import python_defaults

NUMBERS = [("+44 20 7946 0958", "GB"), ("+1 650 253 0000", "US"), ("030 901820", "DE"),
           ("+33 1 42 68 53 00", "FR"), ("(415) 555-0132", "US")]


@pytest.fixture()
def default_patterns() -> Iterator[None]:
    kept = patterns_kept()
    keep_patterns(False)
    yield
    keep_patterns(kept)


def _compiles_for(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    compile_pattern = re.compile

    def counting(pattern: Any, flags: int = 0) -> re.Pattern[str]:
        asked.append(pattern)
        return compile_pattern(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)  # what phonenumbers' re_compile calls
    return asked


def _describe_all() -> list[dict[str, Any]]:
    unmemoized = phone_outcome.__wrapped__  # type: ignore[attr-defined]
    return [unmemoized(raw, region).outputs for raw, region in NUMBERS]


@pytest.mark.usefixtures("default_patterns")
def test_kept_patterns_are_compiled_once_for_every_number_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the library's default: every number asks the re module for its patterns again
    asked = _compiles_for(monkeypatch)
    before = _describe_all()
    again = len(asked)
    _describe_all()
    assert len(asked) - again >= 40 * len(NUMBERS) / 2

    # WHEN the patterns are kept, THEN the same numbers ask for none once they were seen
    keep_patterns()
    _describe_all()
    seen = len(asked)
    assert _describe_all() == before  # the same answers
    assert len(asked) == seen


def test_the_work_function_keeps_the_patterns_from_its_import() -> None:
    code = ("import chalicelib.handlers.work_events\n"
            "from chalicelib.domain.enrich.phone import patterns_kept\n"
            "print(patterns_kept())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=120)
    assert done.stdout.strip() == "True"


@pytest.mark.usefixtures("default_patterns")
def test_the_plain_loop_runs_with_the_library_default_and_the_process_keeps_its_own() -> None:
    keep_patterns()
    with python_defaults():
        assert not patterns_kept()
    assert patterns_kept()
    keep_patterns(False)
    with python_defaults():
        assert not patterns_kept()
    assert not patterns_kept()
    assert re_util.re_compile("a+") is not None
