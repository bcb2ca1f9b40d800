"""A tenant's enrichment configuration: its waterfall of sources and its prices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.sources.config import HttpSourceConfig


class DatasetSource(BaseModel):
    """A reference dataset the tenant uploaded, as a waterfall step."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["dataset"]
    dataset_id: str = Field(pattern=r"^ds_[0-9a-f]{16}$")
    price: int | None = Field(default=None, ge=0)  # None: the mode's price


class HttpSource(BaseModel):
    """A vendor API, as a waterfall step (its price is in its config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["http"]
    config: HttpSourceConfig


Source = Annotated[DatasetSource | HttpSource, Field(discriminator="type")]


class TenantConfig(BaseModel):
    """``PUT /v1/admin/tenants/{tenant_id}/config``: the advanced waterfall and price overrides."""

    model_config = ConfigDict(extra="forbid")
    sources: list[Source] = Field(default_factory=list, max_length=20)
    # Refuse a batch at create unless the balance covers its maximum cost (402).
    require_full_balance: bool = False
    # Resume batches paused for credits by themselves after a top-up (a batch may opt out).
    auto_resume: bool = True
    prices: dict[Literal["basic", "advanced"], Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict)
