"""A tenant's advanced-mode waterfall of sources (vendor APIs, reference datasets)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain.enrich.waterfall import PricedSource
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.models import Batch, Tenant
from chalicelib.keys import dataset_key
from chalicelib.netguard import RefusedDestination, check_url
from chalicelib.services.ports import Ports
from chalicelib.sources.config import HttpSourceConfig
from chalicelib.sources.spec import DatasetSource, HttpSource, PresetSource, TenantConfig


def configure(ports: Ports, tenant_id: str, config: TenantConfig) -> dict[str, Any]:
    """Set a tenant's waterfall and prices, after checking every dataset and secret exists."""
    for source in config.sources:
        if isinstance(source, DatasetSource) and not ports.blobs.exists(
                dataset_key(tenant_id, source.dataset_id)):
            raise InvalidRequest(f"No dataset {source.dataset_id!r} for this tenant.",
                                 field="sources")
        if isinstance(source, HttpSource | PresetSource):
            _check_vendor(ports, source.http_config())
    stored = config.model_dump(mode="json")
    ports.accounts.set_config(tenant_id, stored, ports.clock.now())
    return stored


def _check_vendor(ports: Ports, config: HttpSourceConfig) -> None:
    """A vendor URL must not point at the service's own network, and its secret must be set
    (422 naming what to fix)."""
    try:
        check_url(config.url, ports.settings.outbound_policy())
    except RefusedDestination as exc:
        raise InvalidRequest(f"Source {config.name!r}: the URL is refused: {exc}. Vendor "
                             "sources must be public addresses.", field="sources") from exc
    if config.secret_name and not ports.secrets.vendor(config.secret_name):
        raise InvalidRequest(f"Set {ports.secrets.where(config.secret_name)} for source "
                             f"{config.name!r} first.", field="sources")


_cache: dict[tuple[str, str], list[PricedSource]] = {}
_cache_lock = threading.Lock()


def waterfall_for(ports: Ports, tenant: Tenant) -> list[PricedSource]:
    """The tenant's sources, built once per configuration per process (breakers live on)."""
    config = TenantConfig.model_validate(tenant.config or {})
    cache_key = (tenant.tenant_id, json.dumps(tenant.config, sort_keys=True))
    with _cache_lock:
        if cache_key not in _cache:
            _cache[cache_key] = [_build(ports, tenant.tenant_id, s) for s in config.sources]
        return _cache[cache_key]


def for_batch(ports: Ports, batch: Batch, steps: list[PricedSource]) -> list[PricedSource]:
    """The tenant's sources as one batch asks them: each vendor source behind the tenant's result
    cache (unless its ``cache_days`` is 0), answers kept before a refresh not reused."""
    from chalicelib.sources.cached import CachedSource, CacheScope
    from chalicelib.sources.http_provider import HttpProvider

    settings = ports.settings
    region = batch.default_country or settings.default_phone_region
    fresh_after = datetime.fromisoformat(batch.refresh_after).timestamp() if batch.refresh_after else 0.0
    cached = []
    for step in steps:
        source = step.source
        if isinstance(source, HttpProvider):
            days = source.config.cache_days
            days = settings.result_cache_days if days is None else days
            if days:
                scope = CacheScope(batch.tenant_id, batch.batch_id, region, days * 86400.0, fresh_after)
                step = replace(step, source=CachedSource(source, ports.result_cache, scope,
                                                         ports.clock.epoch, ports.clock.sleep))
        cached.append(step)
    return cached


def _build(ports: Ports, tenant_id: str, source: DatasetSource | HttpSource | PresetSource) -> PricedSource:
    # The sources themselves load on the work path only: the API (``configure``) never calls them.
    from chalicelib.sources.dataset import ReferenceDataset
    from chalicelib.sources.http_provider import HttpProvider
    from chalicelib.sources.shared_limit import SharedRateLimit

    if isinstance(source, HttpSource | PresetSource):
        cfg = source.http_config()
        settings = ports.settings
        # The vendor's limit is the tenant's key's, whatever the number of workers: one schedule.
        limit = SharedRateLimit(ports.rate_limits, f"{tenant_id}#{cfg.name}",
                                cfg.rate_limit_per_second * settings.vendor_rate_share,
                                settings.vendor_lease_seconds, ports.clock.epoch, ports.clock.sleep)
        provider = HttpProvider(cfg, ports.secrets.vendor(cfg.secret_name) if cfg.secret_name else None,
                                policy=settings.outbound_policy(), limiter=limit)
        return PricedSource(provider, cfg.price, frozenset(cfg.outputs), cfg.max_in_flight)
    try:
        index = json.loads(ports.blobs.read(dataset_key(tenant_id, source.dataset_id)))
    except NotFound as exc:
        raise NotFound(f"Dataset {source.dataset_id} is gone; reconfigure the sources.") from exc
    name = f"dataset_{index['meta']['name']}" if index["meta"]["name"] else source.dataset_id
    dataset = ReferenceDataset(name, index, ports.settings.default_phone_region)
    return PricedSource(dataset, source.price, dataset.fields)
