"""What one invocation of the work function shares between the chunk parts it works."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from chalicelib.domain.billing import Settlement
from chalicelib.domain.enrich.pipeline import Pipeline, built_in_pipeline
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import TERMINAL_STATUSES, Batch, BillingKind, Mode, Tenant
from chalicelib.observability import correlated, request_id
from chalicelib.services.announcing import check_credits_low
from chalicelib.services.batches import request_finalize
from chalicelib.services.phone_data import phone_names
from chalicelib.services.ports import Ports
from chalicelib.services.settle_group import SettleGroup
from chalicelib.services.sources import for_batch, waterfall_for
from chalicelib.services.stats import count_settled_rows, window_now
from chalicelib.services.tenants import get_tenant


class Invocation:
    """What one invocation of the work function has read, shared by the chunk parts it works.

    The batch and the tenant are read once per invocation instead of once per part: the
    settle transaction's conditions (status, cap, balance) refuse a plan made from a stale
    read, and the refusal carries the current item, so nothing stale is ever written. Which
    batches settled a part is kept so the finalize check runs once per batch at the end.

    ``seconds_left`` is the time left before the function's timeout (Lambda's context): no row
    starts once less than a row's deadline plus the work reserve is left (``out_of_time``).
    """

    def __init__(self, ports: Ports, seconds_left: Callable[[], float] | None = None) -> None:
        self._ports = ports
        # whole parts held to settle in one transaction (services/settle_group.py), once asked
        self.group: SettleGroup | None = None
        self._held_failed: list[ChunkMessage] = []
        self._seconds_left = seconds_left
        self._started_a_row = False
        self._batches: dict[tuple[str, str], Batch] = {}
        self._tenants: dict[str, Tenant] = {}
        self._planned: set[str] = set()  # tenants a part was planned for (finish checks their balance)
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        # batches to check for finalize, with the request whose work settled their last part
        self._settled: dict[tuple[str, str], str | None] = {}
        # rows settled by window (GET /v1/admin/stats), written once per window at the end
        self._rows_by_window: dict[int, int] = {}
        # parts may run side by side (handlers/work_events.py): one pipeline per batch (its parts
        # take turns at starting rows), one balance
        self._lock = threading.RLock()

    def batch(self, tenant_id: str, batch_id: str) -> Batch | None:
        """The batch as last read or written by this invocation (its first read of a tenant's
        batch reads the tenant in the same request: every part is planned from both)."""
        key = (tenant_id, batch_id)
        if key not in self._batches:
            if tenant_id in self._tenants:
                batch = self._ports.batches.get(tenant_id, batch_id)
            else:
                batch, tenant = self._ports.batches.get_with_tenant(tenant_id, batch_id)
                if tenant is not None:
                    self._tenants.setdefault(tenant_id, tenant)
            if batch is None:
                return None
            self._batches[key] = batch
        return self._batches[key]

    def out_of_time(self) -> bool:
        """True once no more row may start in this invocation (asked before each row starts).

        The invocation's first row always starts, so every invocation makes progress even if
        it began late; every later one needs the row's deadline and the reserve still left.
        """
        if self._seconds_left is None:
            return False
        settings = self._ports.settings
        late = self._seconds_left() < settings.row_deadline_seconds + settings.work_reserve_seconds
        if late and self._started_a_row:
            return True
        self._started_a_row = True
        return False

    def remember(self, batch: Batch) -> Batch:
        """Keep a fresher copy of a batch."""
        self._batches[(batch.tenant_id, batch.batch_id)] = batch
        return batch

    def tenant(self, tenant_id: str) -> Tenant:
        """The tenant as last read by this invocation, its balance less what it since charged."""
        if tenant_id not in self._tenants:
            self._tenants[tenant_id] = get_tenant(self._ports, tenant_id)
        self._planned.add(tenant_id)
        return self._tenants[tenant_id]

    def balance_is(self, tenant_id: str, balance: int) -> None:
        """Record the balance a refused settlement reported (or one this invocation left)."""
        if tenant_id in self._tenants:
            self._tenants[tenant_id] = replace(self._tenants[tenant_id], balance=balance)

    def pipeline(self, batch: Batch) -> Pipeline:
        """The batch's pipeline (built once per invocation: the waterfall keeps rate state)."""
        key = (batch.tenant_id, batch.batch_id)
        with self._lock:
            if key not in self._pipelines:
                self._pipelines[key] = build_pipeline(self._ports, batch, self.tenant(batch.tenant_id))
            return self._pipelines[key]

    def duplicate(self, batch: Batch) -> None:
        """A part was found settled already: its winner may have died before the finalize check."""
        self._settled[(batch.tenant_id, batch.batch_id)] = request_id()

    def settled(self, batch: Batch, settlement: Settlement) -> None:
        """A part settled: keep the spend and balance it left; check for finalize at the end."""
        with self._lock:
            self._settled_part(batch, settlement)

    def _settled_part(self, batch: Batch, settlement: Settlement) -> None:
        tenant = self._tenants.get(batch.tenant_id)
        if tenant is not None and tenant.billing is BillingKind.PREPAID:
            self.balance_is(batch.tenant_id, tenant.balance - settlement.cost)
        if not settlement.done:  # the batch paused (or was paused): read it afresh next time
            self._batches.pop((batch.tenant_id, batch.batch_id), None)
            return
        self._settled[(batch.tenant_id, batch.batch_id)] = request_id()
        self.remember(replace(batch, credits_spent=batch.credits_spent + settlement.cost))

    def hold_parts(self) -> None:
        """From now on whole parts are held and settled together (``held_failures`` settles
        them): for parts worked one after another."""
        self.group = self.group or SettleGroup(self._ports)

    def group_for(self, batch_id: str, alone: bool = False) -> SettleGroup | None:
        """The group a part of this batch may be held in (None: it settles at once, as when it
        settles ``alone``); parts of another batch held so far settle first (this batch's plan
        leaves no room for them)."""
        if alone:
            return None
        if self.group is not None and self.group.holds_others(batch_id):
            self.settle_held()
        return self.group

    def settle_held(self) -> None:
        """Settle the parts held for the group's transaction (before a part that settles alone,
        before another batch's part, at the end of the records)."""
        if self.group is not None:
            self._held_failed += self.group.settle(self._current)

    def held_failures(self) -> list[ChunkMessage]:
        """Settle what is held; the messages of every held part that failed in this invocation."""
        self.settle_held()
        failed, self._held_failed = self._held_failed, []
        return failed

    def _current(self, batch: Batch) -> Batch:
        return self.batch(batch.tenant_id, batch.batch_id) or batch

    def count_rows(self, rows: int) -> None:
        """Count rows settled now in the service's rows-per-second counter (written at the end)."""
        with self._lock:
            window = window_now(self._ports)
            self._rows_by_window[window] = self._rows_by_window.get(window, 0) + rows

    def finish(self) -> None:
        """Ask for finalize for every batch of this invocation whose chunks have all settled;
        add the rows it settled to the counters of the windows they settled in."""
        for (tenant_id, batch_id), cause in sorted(self._settled.items()):
            with correlated(tenant_id=tenant_id, batch_id=batch_id, request_id=cause):
                fresh = self._ports.batches.get(tenant_id, batch_id)
                if fresh and fresh.all_chunks_done and fresh.status not in TERMINAL_STATUSES:
                    request_finalize(self._ports, tenant_id, batch_id)
        self._settled.clear()
        for tenant in [t for t in self._tenants.values() if t.tenant_id in self._planned]:
            # the balances this invocation's charges left (a tenant only read with a batch that
            # was closed is not looked at, as when it was not read)
            if check_credits_low(self._ports, tenant, tenant.balance):
                self._tenants[tenant.tenant_id] = replace(tenant, low_balance_at="announced")
        counted, self._rows_by_window = self._rows_by_window, {}
        for window, rows in sorted(counted.items()):
            count_settled_rows(self._ports, window, rows)


def build_pipeline(ports: Ports, batch: Batch, tenant: Tenant) -> Pipeline:
    """The built-ins for the batch's entity type, and in advanced mode the tenant's waterfall."""
    region = batch.default_country or ports.settings.default_phone_region
    pipeline = built_in_pipeline(batch.entity_type or "person", region,
                                 frozenset(batch.fields or {}), batch.platform,
                                 phone_names(ports.settings.cache_dir))
    if batch.mode is not Mode.ADVANCED:
        return pipeline
    steps = for_batch(ports, batch, waterfall_for(ports, tenant))
    if not steps:
        return pipeline
    return pipeline.with_waterfall(steps, batch.price, ports.settings.row_deadline_seconds)
