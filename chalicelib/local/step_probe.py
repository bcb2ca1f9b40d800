"""Split one batch's file in steps, as the local runtime does, and report what it took (a probe
of ``batch-enrich bench --split-only``).

``python -m chalicelib.local.step_probe TENANT_ID BATCH_ID RECORD_FILE [--resend]`` with
``AWS_ENDPOINT_URL``
pointing at a running emulator. The ingest queue feeds the split handler through the local
runtime's event source mapping (its ``LambdaContext`` counts down from the function's timeout,
so each invocation stops before it and hands over to the next one). Work messages are not
sent: each chunk number is appended to RECORD_FILE as it would have been sent, with one
``write`` each, so a probe killed with SIGKILL leaves exactly what it sent. Prints
{baseline_mb, peak_mb, invocations, seconds, rows, chunks} as JSON once the file is split
(``--resend``: once the ingest queue is empty again after the tick's resend of some chunks).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence

from chalicelib.local.split_probe import reset_peak, status_mb

_IDLE_WAIT = 0.5  # seconds between polls of an empty ingest queue (a killed split's message
# comes back after heartbeat_seconds)
_GIVE_UP_SECONDS = 600.0


def main(argv: Sequence[str]) -> None:
    """Poll the ingest queue into the split handler until the batch is split; print the figures."""
    from chalicelib import topology
    from chalicelib.adapters.queue import MessageQueue
    from chalicelib.domain.messages import ChunkMessage
    from chalicelib.local.eventsource import mappings
    from chalicelib.services.ports import get_ports

    tenant_id, batch_id, record = argv[:3]
    resend = "--resend" in argv[3:]
    fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    real_send = MessageQueue.send
    ports = get_ports()
    work = {ports.queue_name(spec) for spec in topology.WORK_QUEUES}

    def send(queue: MessageQueue, name: str, bodies: Sequence[str]) -> None:
        if name not in work:
            real_send(queue, name, bodies)
            return
        chunks = [ChunkMessage.model_validate_json(body).chunk for body in bodies]
        os.write(fd, "".join(f"{chunk}\n" for chunk in chunks).encode())

    MessageQueue.send = send  # type: ignore[method-assign,assignment]
    ingest = next(m for m in mappings() if m.spec is topology.INGEST)
    baseline = status_mb("VmRSS")
    reset_peak()
    invocations, busy, idle_since = 0, 0.0, time.monotonic()
    while (batch := ports.batches.get(tenant_id, batch_id)) is not None and (
            batch.chunks_total is None or resend):
        started = time.monotonic()
        if ingest.poll_once():
            invocations += 1
            busy += time.monotonic() - started
            idle_since = time.monotonic()
        elif resend and invocations:
            break
        elif time.monotonic() - idle_since > _GIVE_UP_SECONDS:
            raise SystemExit(f"no split message for {_GIVE_UP_SECONDS:.0f} s")
        else:
            time.sleep(_IDLE_WAIT)
    assert batch is not None
    print(json.dumps({"baseline_mb": round(baseline, 1), "peak_mb": round(status_mb("VmHWM"), 1),
                      "invocations": invocations, "seconds": round(busy, 1),
                      "rows": batch.total_rows, "chunks": batch.chunks_total}))


if __name__ == "__main__":
    main(sys.argv[1:])
