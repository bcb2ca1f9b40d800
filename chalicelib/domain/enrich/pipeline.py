"""Running a batch's enrichers over one row and deciding the row's status."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from chalicelib.domain.enrich.base import AttributeStatus, Enricher, EnricherResult
from chalicelib.domain.enrich.company import CompanyEnricher
from chalicelib.domain.enrich.creator import CreatorEnricher
from chalicelib.domain.enrich.email import EmailEnricher
from chalicelib.domain.enrich.name import NameEnricher
from chalicelib.domain.enrich.phone import PhoneEnricher
from chalicelib.domain.enrich.place import PlaceEnricher
from chalicelib.domain.models import ChunkRow, RowResult, RowStatus
from chalicelib.domain.records import canonical_record, row_id


class Pipeline:
    """The enrichers of one batch, applied in order to each row."""

    def __init__(self, enrichers: Sequence[Enricher]) -> None:
        self._enrichers = tuple(enrichers)

    def enrich_row(self, row: ChunkRow, fields: dict[str, int]) -> RowResult:
        """Enrich one row; an enricher that raises marks only this row's attribute ERROR."""
        record = canonical_record(row.v, fields)
        result = RowResult(i=row.i, v=row.v, row_id=row_id(row.v, record), status=RowStatus.SKIPPED)
        if row.skip:
            result.error = row.skip
            return result
        errors: list[str] = []
        for enricher in self._enrichers:
            outcome = _run(enricher, record)
            result.attributes[enricher.name] = outcome.status.value
            if outcome.outputs:
                result.outputs[enricher.name] = outcome.outputs
            result.matched = result.matched or outcome.matched
            if outcome.error:
                errors.append(f"{enricher.name}: {outcome.error}")
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


def _enrichers(entity_type: str, default_phone_region: str) -> list[Enricher]:
    phone = PhoneEnricher(default_region=default_phone_region)
    by_type: dict[str, list[Enricher]] = {
        "person": [EmailEnricher(), phone, NameEnricher(), CompanyEnricher()],
        "company": [CompanyEnricher(), EmailEnricher(), phone],
        "place": [PlaceEnricher(), phone],
        "creator": [CreatorEnricher()],
    }
    return by_type.get(entity_type, by_type["person"])


@lru_cache(maxsize=32)
def built_in_pipeline(entity_type: str, mode: str, default_phone_region: str) -> Pipeline:
    """The built-in enrichers for an entity type (``advanced`` adds external sources later)."""
    del mode  # external sources join the advanced mode with the waterfall
    return Pipeline(_enrichers(entity_type, default_phone_region))
