"""In-process moto answers one request at a time, as DynamoDB, S3 and SQS answer each atomically.

moto's backends are not safe under concurrent requests: the code under test runs threads (a work
invocation's advanced parts side by side, the heartbeat), and two of them updating one batch item
at once made moto's copy of the item fail ("dictionary changed size during iteration"), so the
part's record failed where AWS would have answered both writes. The embedded emulator already
serves one request at a time (``emulator_server.Serialized``); in-process moto (``mock_aws``)
gets the same lock around the stubber that hands each botocore request to a backend. No request
waits inside a backend (receives never long-poll: ``WaitTimeSeconds=0``), so the lock only
orders requests, as the emulator's does.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.RLock()


def serialize_requests() -> None:
    """Make moto's in-process stubber serve one request at a time (once per process)."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request
    if getattr(original, "serialized", False):
        return

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with _LOCK:
            return original(self, request)

    process_request.serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
