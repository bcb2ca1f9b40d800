"""A tenant's enrichment configuration: its waterfall of sources and its prices."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag, model_validator

from chalicelib.domain.lazy_model import LazyModel
from chalicelib.domain.limits import MAX_PRICE
from chalicelib.sources.config import HttpSourceConfig
from chalicelib.sources.presets import resolve

PresetName = Literal["peopledatalabs_person", "hunter_email_finder", "foursquare_place_match"]


class DatasetSource(LazyModel):
    """A reference dataset the tenant uploaded, as a waterfall step."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["dataset"]
    dataset_id: str = Field(pattern=r"^ds_[0-9a-f]{16}$")
    price: int | None = Field(default=None, ge=0, le=MAX_PRICE)  # None: the mode's price


class HttpSource(LazyModel):
    """A vendor API, as a waterfall step (its price is in its config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["http"]
    config: HttpSourceConfig

    def http_config(self) -> HttpSourceConfig:
        """The vendor API as the provider calls it."""
        return self.config


class PresetSource(LazyModel):
    """A vendor API from a ready preset (``sources/presets.py``): ``{"preset", "secret_name"}``
    plus any field of an http source's config that differs (``price`` at least)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    type: Literal["preset"] = "preset"
    preset: PresetName
    secret_name: str = Field(min_length=1)

    @model_validator(mode="after")
    def _resolves(self) -> PresetSource:
        self.http_config()  # the preset with its overrides must be a valid http source config
        return self

    def http_config(self) -> HttpSourceConfig:
        """The preset with the tenant's overrides, as the provider calls it."""
        return HttpSourceConfig.model_validate(
            resolve(self.preset, {"secret_name": self.secret_name, **(self.model_extra or {})}))


def _kind(value: Any) -> str | None:
    """Which kind of source an entry is: a ``preset`` key makes one, else its ``type``."""
    if isinstance(value, dict):
        return "preset" if "preset" in value else value.get("type")
    return getattr(value, "type", None)


Source = Annotated[
    Annotated[DatasetSource, Tag("dataset")] | Annotated[HttpSource, Tag("http")]
    | Annotated[PresetSource, Tag("preset")],
    Discriminator(_kind),
]


class TenantConfig(LazyModel):
    """``PUT /v1/admin/tenants/{tenant_id}/config``: the advanced waterfall and price overrides."""

    model_config = ConfigDict(extra="forbid")
    sources: list[Source] = Field(default_factory=list, max_length=20)
    # Refuse a batch at create unless the balance covers its maximum cost (402).
    require_full_balance: bool = False
    # Resume batches paused for credits by themselves after a top-up (a batch may opt out).
    auto_resume: bool = True
    # credits.low fires when the prepaid balance falls below this (None: the service's default).
    credits_low_threshold: int | None = Field(default=None, ge=0)
    prices: dict[Literal["basic", "advanced"], Annotated[int, Field(ge=0, le=MAX_PRICE)]] = Field(
        default_factory=dict)
