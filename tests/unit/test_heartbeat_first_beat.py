"""The heartbeat's first beat: at once for a record Lambda received (hidden for the queue's
visibility timeout), a third of the window in for one the local runtime received already hidden
for the window (the beat would only repeat its receive)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from chalicelib.handlers.heartbeat import RECEIVED_HIDDEN, Heartbeat
from chalicelib.ports.queue import Queue


class _Hides:
    """A queue that notes each visibility change."""

    def __init__(self) -> None:
        self.hidden: list[tuple[str, list[str], int]] = []

    def hide(self, name: str, receipts: Sequence[str], seconds: int) -> None:
        self.hidden.append((name, list(receipts), seconds))


def _records(attributes: dict[str, str]) -> list[dict[str, Any]]:
    return [{"receiptHandle": f"r{n}", "eventSourceARN": "arn:aws:sqs:us-east-1:1:work",
             "attributes": {"ApproximateReceiveCount": "1", **attributes}} for n in range(3)]


@pytest.mark.parametrize(("attributes", "at_once"), [
    ({}, True),  # Lambda's record: hidden for the queue's 360 s until this beat
    ({RECEIVED_HIDDEN: "360"}, True),  # received hidden longer than the window
    ({RECEIVED_HIDDEN: "30"}, False),  # received hidden for the window: the receive was the beat
    ({RECEIVED_HIDDEN: "10"}, False),
])
def test_the_first_beat_comes_at_once_unless_the_receive_hid_the_records_for_the_window(
        attributes: dict[str, str], at_once: bool) -> None:
    queue = _Hides()

    with Heartbeat(cast(Queue, queue), _records(attributes), 30):
        beats_at_entry = list(queue.hidden)  # the next beat is 10 s away

    assert beats_at_entry == ([("work", ["r0", "r1", "r2"], 30)] if at_once else [])


def test_one_record_received_by_lambda_makes_the_first_beat_come_at_once() -> None:
    queue = _Hides()
    records = _records({RECEIVED_HIDDEN: "30"})
    records[1]["attributes"].pop(RECEIVED_HIDDEN)

    with Heartbeat(cast(Queue, queue), records, 30):
        assert len(queue.hidden) == 1
