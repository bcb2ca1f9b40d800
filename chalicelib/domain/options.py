"""The options a customer may set on a batch, validated."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.columns import CANONICAL_FIELDS


class BatchOptions(BaseModel):
    """Create options (multipart form fields or JSON body keys)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    mode: Literal["basic", "advanced"] = "basic"
    entity_type: Literal["person", "company", "place", "creator"] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    # header -> canonical field; null leaves the column unused (passed through to the results).
    column_map: dict[str, str | None] = Field(default_factory=dict)
    max_credits: int | None = Field(default=None, ge=1)
    row_limit: int | None = Field(default=None, ge=1)
    dedupe: bool = False
    # Region for phone numbers a row gives without a country (ISO 3166 alpha-2).
    default_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")
    auto_resume: bool = True  # resume by itself after a top-up or a raised cap
    # Cells of the CSV results files that a spreadsheet would run as formulas get a leading
    # ' (domain.formulas); false writes them raw. rows.jsonl is always raw.
    escape_formulas: bool = True
    # Ask vendor sources afresh: answers the tenant's result cache kept before this batch are
    # not reused (duplicates inside the batch are still asked once).
    refresh: bool = False

    @field_validator("column_map")
    @classmethod
    def _known_fields(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        unknown = sorted({field for field in value.values() if field is not None} - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown canonical fields {unknown}; use any of {', '.join(CANONICAL_FIELDS)}, "
                "or null to leave a column unused"
            )
        return value


class BatchPatch(BaseModel):
    """``PATCH /v1/batches/{id}``: what may change on a batch after it was created."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    metadata: dict[str, Any] | None = None
    max_credits: int | None = Field(default=None, ge=1)


class ReprocessRequest(BaseModel):
    """``POST /v1/batches/{id}/reprocess``: which rows to enrich again."""

    model_config = ConfigDict(extra="forbid")
    failed_only: bool = True
    incomplete_only: bool = False
    # Also re-enrich (and re-charge) rows that matched, asking vendors afresh (no cached answer).
    refresh: bool = False


class LinkRequest(BaseModel):
    """``POST /v1/batches/{id}/link``: the token an anonymous upload answered."""

    model_config = ConfigDict(extra="forbid")
    upload_token: str = Field(min_length=1, max_length=200)


class JsonBatchRequest(BatchOptions):
    """``POST /v1/batches`` with an ``application/json`` body."""

    records: list[dict[str, Any]] = Field(min_length=1)
