"""The tick function (every minute): due schedules, auto-resume, healing, missed finalizes."""

from __future__ import annotations

from typing import Any

from chalice.app import CloudWatchEvent

from chalicelib.observability import bind, current
from chalicelib.services.lifecycle import tick
from chalicelib.services.ports import get_ports


def handle_tick(event: CloudWatchEvent) -> dict[str, Any]:
    """The scheduled sweep: auto-resume paused batches, finalize batches whose request was lost."""
    del event  # every tick does the same sweep
    bind(request_id=current().get("function_request_id"))  # what a tick starts carries its id
    return dict(tick(get_ports()))
