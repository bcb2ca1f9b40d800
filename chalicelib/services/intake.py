"""Reading an uploaded file as the pipeline will: its layout, checks and the preflight answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.columns import header_fingerprint
from chalicelib.domain.inspection import FileReport
from chalicelib.domain.models import Mode, Tenant
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.upload import CachedMaps, Layout, check_file
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant


@dataclass(frozen=True)
class Intake:
    """A checked file: how it reads and what it holds."""

    layout: Layout
    report: FileReport
    price: int

    def to_json(self) -> dict[str, Any]:
        """The preflight body (also part of the create answer)."""
        return {"entity_type": self.layout.entity_type, "mapping": self.layout.mapping.to_json(),
                **self.report.to_json(self.price)}


def list_price(ports: Ports, mode: Mode) -> int:
    """Credits per matched row in this mode, as the settings list it."""
    return ports.settings.price_advanced if mode is Mode.ADVANCED else ports.settings.price_basic


def price_for(ports: Ports, tenant: Tenant, mode: Mode) -> int:
    """Credits per matched row in this mode for this tenant (its override, else the list price)."""
    return tenant.price(mode, list_price(ports, mode))


def cached_maps(ports: Ports, tenant_id: str) -> CachedMaps:
    """Look up the tenant's remembered column map for a header set."""
    return lambda header: ports.accounts.column_map(tenant_id, header_fingerprint(header))


def take_in(ports: Ports, tenant_id: str, data: bytes, options: BatchOptions) -> Intake:
    """Check a file end to end without storing or charging anything (a 4xx says what to fix)."""
    classifier = {"row_limit": options.row_limit, "dedupe": options.dedupe}
    layout, report = check_file(data, options.column_map, cached_maps(ports, tenant_id),
                                options.entity_type, classifier, ports.settings.max_rows_per_batch)
    return Intake(layout, report, price_for(ports, get_tenant(ports, tenant_id), Mode(options.mode)))


def remember_layout(ports: Ports, tenant_id: str, header: list[str], layout: Layout) -> None:
    """Remember how this header set mapped, for the tenant's next file with the same columns."""
    if not layout.mapping.has_header:
        return
    mapping = {d.column: d.field for d in layout.mapping.decisions if d.field}
    ports.accounts.remember_column_map(tenant_id, header_fingerprint(header), mapping,
                                       ports.clock.now())
