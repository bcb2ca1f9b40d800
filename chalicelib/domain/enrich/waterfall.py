"""advanced mode: external sources in order until each wanted field is filled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, Enricher, EnricherResult
from chalicelib.domain.enrich.deadline import expired


@runtime_checkable
class Preparing(Protocol):
    """A source that reads ahead for many records at once (a cache: one read, not one a row)."""

    def prepare(self, records: Sequence[CanonicalRecord]) -> None:
        """Get ready to be asked about these records."""
        ...


@dataclass(frozen=True)
class PricedSource:
    """One waterfall step: a source, the fields it can fill, what a row it fills costs.

    ``price`` None means the mode's price per match; ``max_in_flight`` how many rows may ask
    the source at once (1: a lookup that never waits on a network).
    """

    source: Enricher
    price: int | None
    fields: frozenset[str]
    max_in_flight: int = 1


@dataclass(frozen=True)
class WaterfallResult:
    """What the waterfall filled, which source filled each field, and what the row costs."""

    fields: dict[str, Any]
    filled_by: dict[str, str]
    credits: int
    attributes: dict[str, str]
    errors: list[str]
    lookups: dict[str, str]  # vendor source -> how it answered (``base.Lookup``)
    timed_out: bool = False  # the row's deadline passed before every source had answered


def run_waterfall(steps: Sequence[PricedSource], record: CanonicalRecord,
                  mode_price: int) -> WaterfallResult:
    """Ask each source in order for the fields still empty; stop once every wanted field is filled.

    Wanted fields are every field any source can give; a source is asked only while one of its
    fields is still empty. A source that fills at least one field is billed once at its price;
    a source that misses costs nothing. Once the row's deadline (``deadline.row_deadline``)
    passed by the time a source answered, the row is timed out and no later source is asked.
    """
    fields: dict[str, Any] = {}
    filled_by: dict[str, str] = {}
    attributes: dict[str, str] = {}
    errors: list[str] = []
    lookups: dict[str, str] = {}
    credits = 0
    timed_out = False
    for step in steps:
        name = step.source.name
        if step.fields <= fields.keys() or timed_out:
            attributes[name] = AttributeStatus.NOT_RUN.value
            continue
        outcome = _ask(step.source, record)
        timed_out = expired()
        attributes[name] = outcome.status.value
        if outcome.lookup:
            lookups[name] = outcome.lookup.value
        if outcome.error:
            errors.append(f"{name}: {outcome.error}")
        new = {k: v for k, v in outcome.outputs.items()
               if outcome.matched and k not in fields and v not in (None, "", [], {})}
        if new:
            fields.update(new)
            filled_by.update(dict.fromkeys(new, name))
            credits += mode_price if step.price is None else step.price
    return WaterfallResult(fields, filled_by, credits, attributes, errors, lookups, timed_out)


def _ask(source: Enricher, record: CanonicalRecord) -> EnricherResult:
    try:
        return source.enrich(record)
    except Exception as exc:  # one source's failure costs one row's field, never the chunk
        return EnricherResult(status=AttributeStatus.ERROR, error=f"{type(exc).__name__}: {exc}")
