"""Running a batch's enrichers over one row and deciding the row's status and price."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from functools import lru_cache

from chalicelib.domain.enrich.base import AttributeStatus, Enricher, EnricherResult
from chalicelib.domain.enrich.company import CompanyEnricher
from chalicelib.domain.enrich.creator import CreatorEnricher
from chalicelib.domain.enrich.deadline import row_deadline
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.domain.enrich.name import NameEnricher
from chalicelib.domain.enrich.phone import LIBRARY_NAMES, PhoneEnricher
from chalicelib.domain.enrich.phone_names import PhoneNames
from chalicelib.domain.enrich.place import PlaceEnricher
from chalicelib.domain.enrich.start_order import StartOrder, Turn
from chalicelib.domain.enrich.waterfall import Preparing, PricedSource, run_waterfall
from chalicelib.domain.messages import ChunkRow
from chalicelib.domain.models import RowResult, RowStatus
from chalicelib.domain.records import canonical_record, row_id

WATERFALL = "waterfall"
_Started = tuple[RowResult, list[str], dict[str, str] | None]  # a row after its built-ins


class Pipeline:
    """The built-in enrichers of one batch, then (advanced mode) the waterfall of its sources."""

    def __init__(self, enrichers: Sequence[Enricher], billable: frozenset[str] | None = None,
                 waterfall: Sequence[PricedSource] = (), price: int | None = None,
                 row_seconds: float | None = None) -> None:
        self._enrichers = tuple(enrichers)
        # Enrichers whose match is what a row is billed for; the others derive extras for free.
        self._billable = billable if billable is not None else frozenset(e.name for e in enrichers)
        self._waterfall = tuple(waterfall)
        self._price = price
        self._row_seconds = row_seconds  # a row's waterfall deadline, across all its sources
        # Rows whose waterfalls run at once: enough to keep the widest source's calls in flight.
        self._width = max((step.max_in_flight for step in self._waterfall), default=1)
        self._order = StartOrder()

    def with_waterfall(self, steps: Sequence[PricedSource], price: int,
                       row_seconds: float | None = None) -> Pipeline:
        """The same built-ins followed by a waterfall; ``price`` is the mode's price per match,
        ``row_seconds`` how long one row's waterfall may take (past it the row fails)."""
        return Pipeline(self._enrichers, self._billable, steps, price, row_seconds)

    def enrich_row(self, row: ChunkRow, fields: dict[str, int]) -> RowResult:
        """Enrich one row; an enricher that raises marks only this row's attribute ERROR."""
        return self.enrich_rows([row], fields)[0]

    def enrich_rows(self, rows: Sequence[ChunkRow], fields: dict[str, int]) -> list[RowResult]:
        """Enrich rows, in order: the built-ins one row after another, then the waterfalls of
        up to the widest source's ``max_in_flight`` rows at once (vendor calls wait on the
        network, not on this process)."""
        return self.enrich_until(rows, fields, None)

    def enrich_until(self, rows: Sequence[ChunkRow], fields: dict[str, int],
                     stop: Callable[[], bool] | None) -> list[RowResult]:
        """Enrich rows as ``enrich_rows`` does, starting their waterfalls in row order until
        ``stop`` says no more may start; the enriched rows: a prefix of ``rows``, each finished.

        Calls enriching rows side by side (chunk parts of one invocation) start their waterfalls
        in turn (``StartOrder``): they share this pipeline's sources and their limits.
        """
        started = [self._built_ins(row, fields) for row in rows]
        waiting = [(n, one) for n, one in enumerate(started) if one[2] is not None]
        for step in self._waterfall:
            if waiting and isinstance(step.source, Preparing):
                step.source.prepare([record for _, (_, _, record) in waiting if record is not None])
        turn = self._order.queue() if waiting and self._waterfall else None
        try:
            if turn is not None:
                turn.wait()
            taken = self._run_waterfalls([one for _, one in waiting], stop, turn)
        finally:
            if turn is not None:
                turn.done()
        cut = waiting[taken][0] if taken < len(waiting) else len(rows)
        return [result if row.skip else _settle_status(result, errors)
                for row, (result, errors, _) in zip(rows[:cut], started[:cut], strict=True)]

    def _run_waterfalls(self, waiting: list[_Started], stop: Callable[[], bool] | None,
                        turn: Turn | None) -> int:
        """Run the waterfalls, up to the pipeline's width at once, each row started only after
        the one before it; how many started (``stop`` asked before each start; ``turn`` told
        once no more will)."""
        lock = threading.Lock()
        taken = 0

        def take() -> _Started | None:
            nonlocal taken
            with lock:
                if taken == len(waiting) or (stop is not None and stop()):
                    if turn is not None:
                        turn.done()
                    return None
                taken += 1
                if taken == len(waiting) and turn is not None:
                    turn.done()  # the last row starts now: the next part may start its own
                return waiting[taken - 1]

        def run() -> None:
            while (one := take()) is not None:
                with row_deadline(self._row_seconds):
                    self._run_waterfall(*one)

        width = min(self._width, len(waiting))
        if width > 1:
            with ThreadPoolExecutor(max_workers=width, thread_name_prefix="waterfall") as pool:
                # each thread sees a copy of the invocation's context (log ids, metrics)
                for running in [pool.submit(copy_context().run, run) for _ in range(width)]:
                    running.result()
        else:
            run()
        return taken

    def _built_ins(self, row: ChunkRow, fields: dict[str, int]) -> _Started:
        """The row after the built-in enrichers, its errors, and its record if a waterfall follows."""
        record = canonical_record(row.v, fields)
        result = RowResult(i=row.i, v=row.v, row_id=row_id(row.v, record), status=RowStatus.SKIPPED)
        if row.skip:
            result.error = row.skip
            return result, [], None
        errors: list[str] = []
        for enricher in self._enrichers:
            outcome = _run(enricher, record)
            result.attributes[enricher.name] = outcome.status.value
            if outcome.outputs:
                result.outputs[enricher.name] = outcome.outputs
            if outcome.matched:
                result.found.append(enricher.name)
            result.matched = result.matched or (outcome.matched and enricher.name in self._billable)
            if outcome.error:
                errors.append(f"{enricher.name}: {outcome.error}")
        return result, errors, record if self._waterfall else None

    def _run_waterfall(self, result: RowResult, errors: list[str], record: dict[str, str] | None) -> None:
        assert self._price is not None and record is not None
        filled = run_waterfall(self._waterfall, record, self._price)
        result.attributes.update(filled.attributes)
        result.lookups = dict(filled.lookups)
        errors.extend(filled.errors)
        if filled.timed_out:  # seed 004: a row past its deadline fails alone, and costs nothing
            errors.append(f"timeout: the row took more than {self._row_seconds:g} s")
            result.matched = False
            return
        if filled.fields:
            # rows.jsonl and results.csv name the source of every field it filled.
            result.outputs[WATERFALL] = filled.fields
            result.outputs[f"{WATERFALL}_source"] = dict(filled.filled_by)
            result.found.append(WATERFALL)
            result.matched = True
            result.credits = filled.credits


def _settle_status(result: RowResult, errors: list[str]) -> RowResult:
    """The row's status from what matched and what failed."""
    result.error = "; ".join(errors) or None
    if result.matched:
        result.status = RowStatus.COMPLETED
    elif errors:
        result.status = RowStatus.FAILED
    else:
        result.status = RowStatus.NOT_FOUND
    return result


def _run(enricher: Enricher, record: dict[str, str]) -> EnricherResult:
    try:
        return enricher.enrich(record)
    except Exception as exc:  # one source's failure must cost one row, never the chunk
        return EnricherResult(status=AttributeStatus.ERROR, error=f"{type(exc).__name__}: {exc}")


# Per entity type: the enrichers that always run, those that run when the file has a column
# they read, and those whose match makes the row billable. Splitting a name or cleaning a
# company name the customer gave is never what they pay for; a place's name is no person's.
_BY_TYPE: dict[str, tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]] = {
    "person": (("email", "phone", "name", "company"), ("place",), frozenset({"email", "phone"})),
    "company": (("company", "email", "phone"), ("place",), frozenset({"company", "phone"})),
    "place": (("place", "phone"), ("email", "company"), frozenset({"place", "phone"})),
    "creator": (("creator",), (), frozenset({"creator"})),
}
# The canonical fields each enricher reads.
READS: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}), "phone": frozenset({"phone"}),
    "name": frozenset({"full_name", "first_name", "last_name"}),
    "company": frozenset({"company", "domain", "website", "email"}),
    "place": frozenset({"street", "zip", "city", "state"}),
    "creator": frozenset({"handle", "linkedin", "website"}),
}


def enricher_names(entity_type: str, fields: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The enrichers a batch of this type runs on a file with these canonical columns."""
    always, by_column, _ = _BY_TYPE.get(entity_type, _BY_TYPE["person"])
    return always + tuple(name for name in by_column if READS[name] & fields)


@lru_cache(maxsize=64)
def built_in_pipeline(entity_type: str, default_phone_region: str,
                      fields: frozenset[str] = frozenset(), platform: str | None = None,
                      phone_names: PhoneNames = LIBRARY_NAMES) -> Pipeline:
    """The built-in enrichers for an entity type and the file's columns (offline, no network);
    ``phone_names``: where the phone enricher's English place and carrier names come from."""
    made: dict[str, Enricher] = {
        "email": EmailEnricher(), "phone": PhoneEnricher(default_phone_region, phone_names),
        "name": NameEnricher(), "company": CompanyEnricher(), "place": PlaceEnricher(),
        "creator": CreatorEnricher(default_platform=platform),
    }
    billable = _BY_TYPE.get(entity_type, _BY_TYPE["person"])[2]
    return Pipeline([made[name] for name in enricher_names(entity_type, fields)], billable)
