"""X-Ray tracing through Powertools' Tracer: each invocation, AWS calls and vendor calls.

On Lambda (``infra/`` turns on active tracing and grants the X-Ray writes) the Tracer records a
subsegment per invocation (``traced`` in the middleware), one per AWS call (botocore patched)
and one per vendor exchange. Elsewhere (the local runtime, tests) Powertools turns it off: there
is no X-Ray daemon to send to. What a trace may hold is chosen here, not by each caller:

- only botocore is patched: an HTTP library's patch would record a vendor's URL, whose query
  may carry a row's email;
- no handler response and no exception message is recorded (``capture_lambda_handler`` would
  keep both as metadata, and an answer of ``/rows`` is personal data): a failed block records
  the exception's type only;
- annotations are the caller's codes and numbers (source names, status codes, routes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Tracer

from chalicelib.observability.redaction import ALLOWED

Annotate = Callable[[str, str | int | bool], None]
_tracers: list[Tracer] = []


def tracer() -> Tracer:
    """The process's Tracer (built on first use, never at import), with only botocore patched."""
    if not _tracers:
        built = Tracer(service="batch-enrich", auto_patch=False)
        built.patch(["botocore"])  # does nothing when tracing is off
        _tracers.append(built)
    return _tracers[0]


def _nothing(key: str, value: str | int | bool) -> None:
    del key, value


def _checked(key: str, value: Any) -> Any:
    """An annotation's value as the log filter would let it through (ids, codes, numbers)."""
    check = ALLOWED.get(key)
    return check(value) if check else "[redacted]"


@contextmanager
def traced(name: str, **annotations: str | int | bool | None) -> Iterator[Annotate]:
    """A subsegment around the block (nothing when tracing is off); yields a way to annotate it."""
    active = tracer()
    if active.disabled:
        yield _nothing
        return
    failure: BaseException | None = None
    with active.provider.in_subsegment(name) as subsegment:

        def annotate(key: str, value: str | int | bool) -> None:
            subsegment.put_annotation(key, _checked(key, value))

        for key, value in annotations.items():
            if value is not None:
                annotate(key, value)
        try:
            yield annotate
        except BaseException as exc:  # recorded by type only: its message may quote a row
            failure = exc
            subsegment.put_annotation("error", type(exc).__name__)
    if failure is not None:
        raise failure
