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

import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider

from chalicelib.observability.redaction import ALLOWED

Annotate = Callable[[str, str | int | bool], None]
_tracers: list[Tracer] = []


class _Off(BaseProvider):
    """The provider of a tracer that is off: it records nothing and is never asked to. Powertools'
    default, X-Ray's recorder, makes a botocore X-Ray client as it loads, off or on (~0.4 s of
    CPU in every process that traces: each local worker, the local runtime's main process)."""

    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Any:
        """Never asked: ``traced`` looks at ``disabled`` first."""
        raise RuntimeError("tracing is off")

    def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> Any:
        """Never asked: nothing here traces asynchronously."""
        raise RuntimeError("tracing is off")

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        """Record nothing."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Record nothing."""

    def patch(self, modules: Sequence[str]) -> None:
        """Patch nothing."""

    def patch_all(self) -> None:
        """Patch nothing."""


def tracer() -> Tracer:
    """The process's Tracer (built on first use, never at import), with only botocore patched;
    where Powertools turns tracing off (outside Lambda, or by its setting), without X-Ray's recorder."""
    if not _tracers:
        if Tracer._is_tracer_disabled():
            built = Tracer(service="batch-enrich", auto_patch=False, disabled=True, provider=_Off())
        else:
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
