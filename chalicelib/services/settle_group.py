"""Whole chunk parts of one batch settled together: one transaction for an invocation's parts.

A work invocation that works its parts one after another (basic mode) holds each part that
settles whole (every row, no pause, no failure, no limit near) until its parts are all worked,
then writes them in one ``TransactWriteItems``: each part's chunk item and ledger line, the
batch's counters summed, the balance decremented by the summed cost on ``balance >= total``.
When that transaction is refused for any reason (a part settled by a duplicate delivery, a
balance another worker spent, a batch paused or cancelled meanwhile, a conflict), nothing of it
is written and each held part settles alone, in order, exactly as it would have without the
group: the refusals are then told apart, and the pause falls on the first part the balance
cannot pay. A part that would not settle whole is never held: the parts before it settle first.

The held parts' rows are stored in one object, one after another, right before the transaction
(one PutObject instead of one a part; each part's record names its span in it, and finalize
reads parts that follow each other in one GET: ``settled.part_bodies``). A part settling alone
after a refusal stores its rows in an object of its own first, as without the group, so a record
with a span is always a whole part written by the group's transaction; the group's object then
holds bytes no record names, as a losing attempt's object does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import Context
from dataclasses import dataclass, replace

from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch
from chalicelib.keys import together_key
from chalicelib.observability import logger
from chalicelib.ports.settlements import MAX_TOGETHER, SettleRequest
from chalicelib.services.failures import noting_failures, part_subject
from chalicelib.services.ports import Ports


@dataclass(frozen=True)
class Held:
    """A part worked and stored, its settlement waiting for the group's transaction."""

    message: ChunkMessage
    request: SettleRequest
    settled: Callable[[Batch], str]  # after the group's transaction: the part's own steps
    alone: Callable[[], str]  # after a refusal: the part settles by itself
    context: Context  # the record's (its ids on every log line)
    body: bytes | None = None  # its rows, for the group's object (None: stored under its key already)


class SettleGroup:
    """The parts an invocation holds for one transaction (all of one batch)."""

    def __init__(self, ports: Ports) -> None:
        self._ports = ports
        self._held: list[Held] = []

    @property
    def cost(self) -> int:
        """Credits the held parts will cost (a part planned now must leave them to the balance)."""
        return sum(held.request.settlement.cost for held in self._held)

    @property
    def empty(self) -> bool:
        """True when no part is held."""
        return not self._held

    def takes(self, batch: Batch, message: ChunkMessage) -> bool:
        """True when this part of this batch may join the held ones."""
        if len(self._held) >= MAX_TOGETHER:
            return False
        if any(held.message.chunk == message.chunk for held in self._held):
            return False
        return all(held.request.batch.batch_id == batch.batch_id for held in self._held)

    def holds_others(self, batch_id: str) -> bool:
        """True when parts of another batch are held (they settle before this batch's plan)."""
        return any(held.request.batch.batch_id != batch_id for held in self._held)

    def hold(self, held: Held) -> None:
        """Keep a whole part for the group's transaction."""
        self._held.append(held)

    def settle(self, current: Callable[[Batch], Batch]) -> list[ChunkMessage]:
        """Write the held parts (together, or one by one after a refusal); the messages of
        the parts that failed (their records are reported failed and delivered again).
        ``current`` gives the batch as the invocation last knows it."""
        held, self._held = self._held, []
        if not held:
            return []
        together = len(held) > 1
        if together:
            try:
                self._ports.settlement.settle_together(self._stored_together(held))
            except Exception as exc:  # nothing was written: each settles alone, as without the group
                logger.info("settled alone", extra={"parts": len(held), "reason": type(exc).__name__})
                together = False
        failed: list[ChunkMessage] = []
        for one in held:
            step = (lambda h=one: h.settled(current(h.request.batch))) if together else one.alone
            if not one.context.run(_run, self._ports, one.message, step):
                failed.append(one.message)
        return failed

    def _stored_together(self, held: list[Held]) -> list[SettleRequest]:
        """Store the held parts' rows in one object; their requests, each record naming its span."""
        bodies = [one.body for one in held if one.body is not None]
        if not bodies:
            return [one.request for one in held]
        key = together_key(held[0].request.batch.batch_id, uuid.uuid4().hex)
        requests: list[SettleRequest] = []
        offset = 0
        for one in held:
            if one.body is None:
                requests.append(one.request)
                continue
            record = replace(one.request.record, key=key, span=(offset, len(one.body)))
            requests.append(replace(one.request, record=record))
            offset += len(one.body)
        self._ports.blobs.put(key, b"".join(bodies), "application/x-ndjson")
        return requests


def _run(ports: Ports, message: ChunkMessage, step: Callable[[], str]) -> bool:
    """A held part's step inside its record's ids and failure note; False when it failed."""
    try:
        with noting_failures(ports, part_subject(message)):
            outcome = step()
    except Exception:
        logger.exception("record failed")
        return False
    logger.info("chunk settled", extra={"outcome": outcome})
    return True
