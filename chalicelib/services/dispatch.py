"""Sending a batch's outstanding chunk parts: what resume, reprocess and the tick share.

A chunk that is not done says what its next part is: the rows a pause parked (they follow the
last settled part) or the rows a reprocess stored (``reprocess_key``). Sending those parts is
safe to repeat: a part settles once, its duplicates are acknowledged. So a resume or reprocess
marks the batch ``dispatch_at`` in the same write that changes its status, sends, then clears
the mark; one that died in between is redone by the tick (``services/healing.py``).
"""

from __future__ import annotations

from chalicelib import topology
from chalicelib.domain.messages import ChunkMessage
from chalicelib.domain.models import Batch, ChunkState
from chalicelib.observability import request_id
from chalicelib.services.ports import Ports


def next_part(batch: Batch, chunk: ChunkState, refresh: bool = False) -> ChunkMessage:
    """The message of a not-done chunk's next part (``refresh``: its parked rows enriched again)."""
    part = ChunkMessage(tenant_id=batch.tenant_id, batch_id=batch.batch_id, chunk=chunk.chunk,
                        fields=batch.fields or {}, part=chunk.next_part, refresh=refresh,
                        request_id=request_id())
    if chunk.reprocess_key:
        return part.model_copy(update={"source_key": chunk.reprocess_key, "reprocess": True})
    last = chunk.parts[-1]
    return part.model_copy(update={"start": last.start + last.settled, "source_key": last.key,
                                   "source_skip": last.settled})


def send_outstanding(ports: Ports, batch: Batch, refresh: bool = False) -> int:
    """Send the next part of every chunk that is not done; how many were sent."""
    bodies = [next_part(batch, chunk, refresh).model_dump_json(exclude_none=True)
              for chunk in ports.batches.chunks(batch.batch_id, parked_only=True)]
    ports.queue.send(ports.queue_name(topology.work_queue(batch.mode)), bodies)
    return len(bodies)


def dispatch(ports: Ports, batch: Batch, refresh: bool = False) -> int:
    """Send the outstanding parts, then clear the batch's dispatch mark; how many were sent."""
    sent = send_outstanding(ports, batch, refresh)
    if batch.dispatch_at is not None:
        ports.batches.dispatched(batch.tenant_id, batch.batch_id, batch.dispatch_at)
    return sent
