"""Reading an uploaded file as the pipeline will: its layout, checks and the preflight answer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, BinaryIO

from chalicelib.domain.columns import header_fingerprint
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.inspection import FileReport
from chalicelib.domain.models import Mode, Tenant
from chalicelib.domain.options import BatchOptions
from chalicelib.domain.upload import CachedMaps, Layout, check_file
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant

# Columns a creator is found by without a source: a handle, a profile URL.
_CREATOR_COLUMNS = ("handle", "linkedin", "website")


@dataclass(frozen=True)
class Intake:
    """A checked file: how it reads, what it holds, and what it can cost."""

    layout: Layout
    report: FileReport
    price: int
    max_credits: int | None = None

    def max_cost(self) -> int:
        """The most the batch can cost: every usable row matched, never more than its cap."""
        most = self.report.usable * self.price
        return most if self.max_credits is None else min(most, self.max_credits)

    def to_json(self) -> dict[str, Any]:
        """The preflight body (also part of the create answer)."""
        body = self.report.to_json(self.price)
        body["cost_estimate"]["max"] = self.max_cost()
        return {"entity_type": self.layout.entity_type, "mapping": self.layout.mapping.to_json(),
                "platform": self.layout.platform, **body}


def list_price(ports: Ports, mode: Mode) -> int:
    """Credits per matched row in this mode, as the settings list it."""
    return ports.settings.price_advanced if mode is Mode.ADVANCED else ports.settings.price_basic


def price_for(ports: Ports, tenant: Tenant, mode: Mode) -> int:
    """Credits per matched row in this mode for this tenant (its override, else the list price)."""
    return tenant.price(mode, list_price(ports, mode))


def cached_maps(ports: Ports, tenant_id: str) -> CachedMaps:
    """Look up the tenant's remembered column map for a header set."""
    return lambda header: ports.accounts.column_map(tenant_id, header_fingerprint(header))


def read_file(ports: Ports, source: bytes | BinaryIO, options: BatchOptions,
              cached: CachedMaps) -> tuple[Layout, FileReport]:
    """Check a file's content end to end as the pipeline will read it (a 4xx says what to fix)."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    classifier = {"row_limit": options.row_limit, "dedupe": options.dedupe}
    return check_file(stream, options.column_map, cached, options.entity_type, classifier,
                      ports.settings.max_rows_per_batch)


def take_in(ports: Ports, tenant_id: str, source: bytes | BinaryIO,
            options: BatchOptions) -> Intake:
    """Check a file end to end without storing or charging anything (a 4xx says what to fix)."""
    tenant = get_tenant(ports, tenant_id)
    sources = bool(tenant.config.get("sources"))
    if options.mode == "advanced" and not sources:
        raise InvalidRequest(
            "mode advanced runs your account's sources (vendor APIs, reference datasets) and none "
            "is configured: an administrator sets them (PUT /v1/admin/tenants/"
            f"{tenant_id}/config); until then send mode=basic for the built-in enrichment.",
            field="mode")
    layout, report = read_file(ports, source, options, cached_maps(ports, tenant_id))
    if layout.entity_type == "creator" and not any(
            column in layout.mapping.fields for column in _CREATOR_COLUMNS):
        _check_creators_by_email(options, sources, tenant_id)
    return Intake(layout, report, price_for(ports, tenant, Mode(options.mode)), options.max_credits)


def _check_creators_by_email(options: BatchOptions, sources: bool, tenant_id: str) -> None:
    """Creators given by email alone are found only by a source that knows them (seed 000)."""
    if options.mode != "advanced" or not sources:
        raise InvalidRequest(
            "A creator batch without handles or profile URLs finds creators by their email, "
            "which needs a source that knows them: upload a dataset of your creators with an "
            "email and a handle column (POST /v1/datasets), have it added to your sources (PUT "
            f"/v1/admin/tenants/{tenant_id}/config) and send mode=advanced; or send a column of "
            "handles (with platform) or profile URLs.", field="entity_type")


def remember_layout(ports: Ports, tenant_id: str, header: list[str], layout: Layout) -> None:
    """Remember how this header set mapped, for the tenant's next file with the same columns."""
    if not layout.mapping.has_header:
        return
    mapping = {d.column: d.field for d in layout.mapping.decisions if d.field}
    ports.accounts.remember_column_map(tenant_id, header_fingerprint(header), mapping,
                                       ports.clock.now())
