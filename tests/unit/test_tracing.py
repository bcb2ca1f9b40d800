"""What a trace may hold: codes and numbers as annotations, an exception by its type only."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chalicelib.observability import tracing


class _Subsegment:
    def __init__(self, name: str) -> None:
        self.name = name
        self.annotations: dict[str, Any] = {}

    def put_annotation(self, key: str, value: Any) -> None:
        self.annotations[key] = value


class _Provider:
    def __init__(self) -> None:
        self.recorded: list[_Subsegment] = []

    @contextmanager
    def in_subsegment(self, name: str) -> Iterator[_Subsegment]:
        subsegment = _Subsegment(name)
        self.recorded.append(subsegment)
        yield subsegment  # X-Ray's own would record an exception's message: none may reach it


class _Tracer:
    disabled = False

    def __init__(self) -> None:
        self.provider = _Provider()


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> _Provider:
    """Tracing turned on, into a recording provider."""
    fake = _Tracer()
    monkeypatch.setattr(tracing, "_tracers", [fake])
    return fake.provider


def test_annotations_are_codes_and_numbers_never_a_row_value(provider: _Provider) -> None:
    with tracing.traced("vendor", source="acme", route="/v1/batches/{batch_id}") as annotate:
        annotate("status_code", 429)
        annotate("route", "ann@example.com")  # not a code: redacted
        annotate("email", "ann@example.com")  # not an allowed key: redacted
    (segment,) = provider.recorded
    assert segment.name == "vendor"
    assert segment.annotations == {"source": "acme", "route": "[redacted]", "status_code": 429,
                                   "email": "[redacted]"}


def test_a_failure_is_recorded_by_its_type_and_raised_as_it_was(provider: _Provider) -> None:
    with pytest.raises(ValueError, match=r"ann@example\.com"), tracing.traced("## work"):
        raise ValueError("bad row ann@example.com")
    assert provider.recorded[0].annotations == {"error": "ValueError"}


def test_locally_tracing_is_off_and_costs_nothing() -> None:
    assert tracing.tracer().disabled  # no Lambda, no X-Ray daemon
    with tracing.traced("## tick") as annotate:
        annotate("status_code", 200)


def test_off_it_never_loads_the_x_ray_recorder() -> None:
    # X-Ray's recorder makes a botocore client as it loads (~0.4 s of CPU in every local process)
    code = ("import sys\nfrom chalicelib.observability import tracing\n"
            "assert tracing.tracer().disabled\n"
            "with tracing.traced('## work') as annotate:\n    annotate('status_code', 200)\n"
            "assert 'aws_xray_sdk.core' not in sys.modules, 'the recorder was loaded'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LAMBDA", "LAMBDA_TASK"))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parents[2])
