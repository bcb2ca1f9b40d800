"""The options a customer may set on a batch, validated (limits: ``domain.limits``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import (
    MAX_COLUMN_MAP_ENTRIES,
    MAX_COLUMN_NAME_CHARS,
    MAX_CREDITS,
    MAX_ID_CHARS,
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    MAX_NAME_CHARS,
    MAX_ROW_LIMIT,
    compact_size,
    json_depth,
)


def _bounded_metadata(value: dict[str, Any]) -> dict[str, Any]:
    size = compact_size(value)
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"metadata is {size} bytes as JSON; at most {MAX_METADATA_BYTES} are kept")
    if json_depth(value, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        raise ValueError(f"metadata nests deeper than {MAX_METADATA_DEPTH} levels")
    return value


def _known_country(value: str | None) -> str | None:
    import phonenumbers  # on first use: the API's sandboxes import this module at start

    if value is not None and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not a country code phone numbers have; use an ISO 3166 "
                         "alpha-2 code such as US, GB or DE")
    return value.upper() if value else None


def _known_platform(value: str | None) -> str | None:
    if value is None:
        return None
    # On first use: the API's import declares these options, and most batches name no platform.
    from chalicelib.domain.enrich.creator import PLATFORM_ALIASES, platform_name

    found = platform_name(value)
    if found is None:
        known = sorted({platform.name for platform in PLATFORM_ALIASES.values()})
        raise ValueError(f"{value!r} is not a platform; use one of {', '.join(known)}")
    return found


Metadata = Annotated[dict[str, Any], AfterValidator(_bounded_metadata)]
Credits = Annotated[int, Field(ge=1, le=MAX_CREDITS)]
ColumnName = Annotated[str, Field(min_length=1, max_length=MAX_COLUMN_NAME_CHARS)]


class BatchOptions(LazyModel):
    """Create options (multipart form fields or JSON body keys)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=MAX_NAME_CHARS)
    mode: Literal["basic", "advanced"] = "basic"
    entity_type: Literal["person", "company", "place", "creator"] | None = None
    metadata: Metadata = Field(default_factory=dict)
    # header -> canonical field; null leaves the column unused (passed through to the results).
    column_map: dict[ColumnName, str | None] = Field(default_factory=dict,
                                                     max_length=MAX_COLUMN_MAP_ENTRIES)
    max_credits: Credits | None = None
    # The batch stops as failed once more than this share of its rows failed (as Step
    # Functions' tolerated failure percentage); rows not enriched by then are not charged.
    max_failed_percent: float | None = Field(default=None, ge=0, le=100)
    row_limit: int | None = Field(default=None, ge=1, le=MAX_ROW_LIMIT)
    dedupe: bool = False
    # Region for phone numbers a row gives without a country (ISO 3166 alpha-2).
    default_country: Annotated[str | None, AfterValidator(_known_country)] = Field(
        default=None, pattern=r"^[A-Za-z]{2}$")
    # A creator batch's platform, for bare handles (seed 000's ``platform`` field).
    platform: Annotated[str | None, AfterValidator(_known_platform)] = Field(default=None,
                                                                           max_length=40)
    auto_resume: bool = True  # resume by itself after a top-up or a raised cap
    # Cells of the CSV results files that a spreadsheet would run as formulas get a leading
    # ' (domain.formulas); false writes them raw. rows.jsonl is always raw.
    escape_formulas: bool = True
    # Ask vendor sources afresh: answers the tenant's result cache kept before this batch are
    # not reused (duplicates inside the batch are still asked once).
    refresh: bool = False
    # Webhooks: an endpoint of /v1/webhooks (its batch events), or a URL of the batch's own
    # (every batch event, signed with the tenant's default secret); services check both.
    webhook_id: str | None = Field(default=None, min_length=1, max_length=64)
    webhook_url: str | None = Field(default=None, min_length=1, max_length=2048)

    @field_validator("column_map")
    @classmethod
    def _known_fields(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        from chalicelib.domain.columns import CANONICAL_FIELDS  # with the column mapping, on first use

        unknown = sorted({field for field in value.values() if field is not None} - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical fields {unknown}; use any of {', '.join(CANONICAL_FIELDS)}, "
                "or null to leave a column unused"
            )
        return value


class BatchPatch(LazyModel):
    """``PATCH /v1/batches/{id}``: what may change on a batch after it was created."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    metadata: Metadata | None = None
    max_credits: Credits | None = None


class ReprocessRequest(LazyModel):
    """``POST /v1/batches/{id}/reprocess``: which rows to enrich again."""

    model_config = ConfigDict(extra="forbid")
    failed_only: bool = True
    incomplete_only: bool = False
    # Also re-enrich (and re-charge) rows that matched, asking vendors afresh (no cached answer).
    refresh: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> ReprocessRequest:
        if self.incomplete_only and "failed_only" in self.model_fields_set and self.failed_only:
            raise ValueError("failed_only takes failed rows, incomplete_only the rows not settled "
                             "yet: send one of them")
        return self


class LinkRequest(LazyModel):
    """``POST /v1/batches/{id}/link``: the token an anonymous upload answered."""

    model_config = ConfigDict(extra="forbid")
    upload_token: str = Field(min_length=1, max_length=200)


RecordId = Annotated[str | int, Field(union_mode="left_to_right")]


class JsonBatchRequest(BatchOptions):
    """``POST /v1/batches`` with an ``application/json`` body: ``records``, or ``ids`` of a dataset."""

    records: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    ids: list[RecordId] | None = Field(default=None, min_length=1)
    dataset_id: str | None = Field(default=None, pattern=r"^ds_[0-9a-f]{16}$")

    @field_validator("ids")
    @classmethod
    def _short_ids(cls, value: list[str | int] | None) -> list[str | int] | None:
        for position, record_id in enumerate(value or []):
            if not str(record_id).strip() or len(str(record_id)) > MAX_ID_CHARS:
                raise ValueError(f"ids[{position}] must be 1 to {MAX_ID_CHARS} characters")
        return value
