"""What happens without the customer asking: auto-resume after a top-up, the scheduled tick."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.errors import Conflict, InsufficientCredits
from chalicelib.domain.models import PAUSED_STATUSES, Batch, BatchStatus
from chalicelib.observability import correlated, logger, metrics
from chalicelib.services import history
from chalicelib.services.announcing import rearm_credits_low, recover
from chalicelib.services.batches import resume_batch
from chalicelib.services.ports import Ports
from chalicelib.services.tenants import get_tenant, top_up
from chalicelib.services.uploads import expire_uploads


def auto_resume(ports: Ports, paused: list[Batch], topped_up: dict[str, Any] | None = None) -> list[str]:
    """Resume every paused batch whose tenant and batch allow it and whose credits now suffice.

    ``topped_up``: the top-up (at, amount, balance) that made this possible, for the timelines.
    """
    resumed = []
    for batch in paused:
        if not batch.auto_resume or batch.status not in PAUSED_STATUSES:
            continue
        if not get_tenant(ports, batch.tenant_id).config.get("auto_resume", True):
            continue
        with correlated(tenant_id=batch.tenant_id, batch_id=batch.batch_id):
            try:
                resume_batch(ports, batch.tenant_id, batch.batch_id, by="top_up" if topped_up else "tick")
            except InsufficientCredits:
                continue  # still short
            except Conflict:
                # Someone else resumed it first. A top-up says so all the same when the batch
                # runs now: a tick running at the same moment resumed it on the top-up's credits.
                if not (topped_up and _running(ports, batch)):
                    continue
            logger.info("auto-resumed")
            if topped_up:
                history.happened(ports, batch.tenant_id, batch.batch_id, history.Step.TOPPED_UP,
                                 **topped_up)
        resumed.append(batch.batch_id)
    return resumed


def _running(ports: Ports, batch: Batch) -> bool:
    fresh = ports.batches.get(batch.tenant_id, batch.batch_id)
    return fresh is not None and fresh.status in (BatchStatus.PROCESSING, BatchStatus.COMPLETED)


def top_up_and_resume(ports: Ports, tenant_id: str, amount: int) -> tuple[int, list[str]]:
    """Add credits, then resume the tenant's batches that were waiting for them (those waiting
    before the top-up, which a tick may resume meanwhile, and those that paused since)."""
    at = ports.clock.now()
    before = _waiting_for_credits(ports, tenant_id)
    balance = top_up(ports, tenant_id, amount)
    rearm_credits_low(ports, get_tenant(ports, tenant_id), balance)  # the next fall is news again
    known = {batch.batch_id for batch in before}
    since = [batch for batch in _waiting_for_credits(ports, tenant_id) if batch.batch_id not in known]
    return balance, auto_resume(ports, before + since, {"at": at, "amount": amount, "balance": balance})


def _waiting_for_credits(ports: Ports, tenant_id: str) -> list[Batch]:
    waiting, _ = ports.batches.page(tenant_id, 100, None, (BatchStatus.PAUSED_INSUFFICIENT_CREDITS,))
    return waiting


def _measure(ports: Ports, open_batches: list[Batch]) -> None:
    """The open batches, and those processing without a write (a settlement) for
    ``stalled_after_seconds`` (the tick's own continues are not progress)."""
    metrics.gauge("BatchesNeedingAttention", len(open_batches))
    since = ports.clock.epoch() - ports.settings.stalled_after_seconds
    metrics.gauge("BatchesStalled", sum(1 for batch in open_batches
                                        if batch.status is BatchStatus.PROCESSING
                                        and datetime.fromisoformat(batch.updated_at).timestamp() <= since))


def tick(ports: Ports) -> dict[str, list[str]]:
    """The scheduled sweep (every minute): re-drive dead letters, heal open batches, auto-resume,
    expire uploads that never came, start due schedules, fan out events whose fan-out was lost.

    Every step is safe to repeat, so a tick that dies is simply followed by the next one.
    """
    # Only the tick function heals: the API (top-ups resume here too) never loads the work path.
    from chalicelib.services.healing import heal_batches
    from chalicelib.services.redrive import redrive_dead_letters
    from chalicelib.services.scheduling import start_due_schedules

    report = redrive_dead_letters(ports)
    open_batches = ports.batches.needing_attention()
    _measure(ports, open_batches)
    report["resumed"] = auto_resume(ports, [b for b in open_batches if b.status in PAUSED_STATUSES])
    for outcome, batch_ids in heal_batches(ports, open_batches).items():
        report.setdefault(outcome, []).extend(batch_ids)  # "unfixed": dead letters and batches
    report["uploads_expired"] = expire_uploads(ports, open_batches)
    report["scheduled"] = start_due_schedules(ports)
    report["fanned_out_again"] = recover(ports)
    return report
